// Submit the login.gov.pl hand-over form at once; without JavaScript the visible button does it.
(function () {
  var form = document.getElementById("login-gov-pl-form");
  if (form) {
    form.submit();
  }
})();
