"""Case catalogue (katalog spraw), electronic matters and "Moje sprawy"."""
