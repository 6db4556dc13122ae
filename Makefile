# Gmina e-Usługi — the two commands that matter:
#   make run    install, migrate, load the demo municipality and serve it on 127.0.0.1:8000
#   make test   install and run the whole test suite (unit, integration, browser)
# Both work on a fresh machine with Python 3.11; `make test` also needs Node.js (axe-core) and
# Debian's chromium, which it installs with apt-get when it runs as root.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

CATALOGUES_PL = $(wildcard locale/pl/LC_MESSAGES/django.po */locale/pl/LC_MESSAGES/django.po \
	*/*/locale/pl/LC_MESSAGES/django.po)

.PHONY: run test check lint format messages install install-dev browser clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo ""
	@echo "Portal:        http://$(HOST):$(PORT)/"
	@echo "English:       http://$(HOST):$(PORT)/en/"
	@echo "Admin:         http://$(HOST):$(PORT)/admin/   (logins above)"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev node_modules/.installed browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Static checks CI runs next to the tests.
check: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production \
	  SECRET_KEY=ci-check-deploy-$$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9) \
	  DATABASE_URL=postgres://gmina@127.0.0.1:5432/gmina REDIS_URL=redis://127.0.0.1:6379/0 \
	  ALLOWED_HOSTS=e-uslugi.gmina.example PAYMENT_GATEWAYS=payu,przelewy24,transfer \
	  FIELD_ENCRYPTION_KEYS=ci-check-deploy-field-key \
	  PAYU_POS_ID=1 PAYU_CLIENT_SECRET=ci PAYU_SECOND_KEY=ci \
	  PRZELEWY24_MERCHANT_ID=1 PRZELEWY24_API_KEY=ci PRZELEWY24_CRC=ci \
	  $(PY) manage.py check --deploy --fail-level WARNING

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Refresh the translation catalogues after changing user-facing strings; .mo files are committed.
messages: install-dev
	$(PY) manage.py makemessages -l pl -l en --no-obsolete \
	  --ignore=.venv --ignore=node_modules --ignore=static --ignore=media --ignore=tests
	@# makemessages pre-fills new strings with fuzzy guesses that are usually wrong: drop them.
	@# Apps with a locale/ folder of their own (payments, messaging …) keep their catalogue there.
	for po in $(CATALOGUES_PL); do msgattrib --clear-fuzzy --empty --clear-previous -o $$po $$po; \
	  echo "$$po still to translate: $$(msgattrib --untranslated $$po | grep -c '^msgid')"; done
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules
	$(PY) -m pytest tests/test_translations.py -q

clean:
	rm -rf $(VENV) node_modules db.sqlite3 static
