// Warns before the idle timeout (WCAG 2.2.1) and lets the resident stay signed in.
// The page already says when the session ends; this only adds the dialog.
(function () {
  "use strict";
  var notice = document.getElementById("session-notice");
  var dialog = document.getElementById("session-warning");
  if (!notice || !dialog || typeof dialog.showModal !== "function") return;
  var endsAt = parseInt(notice.getAttribute("data-ends-at"), 10) * 1000;
  var warning = parseInt(notice.getAttribute("data-warning-seconds"), 10) * 1000;
  var countdown = dialog.querySelector("[data-session-countdown]");
  var form = dialog.querySelector("[data-session-keep-alive]");
  var timer = null;

  function tick() {
    var left = endsAt - Date.now();
    if (left <= 0) {
      window.location.reload();
      return;
    }
    if (left <= warning && !dialog.open) {
      dialog.showModal();
    }
    if (dialog.open && countdown) {
      var minutes = Math.floor(left / 60000);
      var seconds = Math.floor((left % 60000) / 1000);
      countdown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    }
    timer = window.setTimeout(tick, 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("keep-alive failed");
        return response.json();
      })
      .then(function (data) {
        if (data.ends_at) {
          endsAt = data.ends_at * 1000;
          notice.setAttribute("data-ends-at", String(data.ends_at));
        }
        dialog.close();
      })
      .catch(function () {
        form.submit();
      });
  });

  tick();
})();
