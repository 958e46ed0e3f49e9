/* Shared by the agents' console and the FAQ editor: log in with an API token, call the API. */
(function () {
  "use strict";
  var KEY = "deskbot.token";
  var NOTE = "deskbot.login-note";
  var loggedIn = false;
  var unsaved = function () { return false; };
  var EXPIRED = "Your token is no longer accepted (it may have been revoked).";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // This tab's token, or the one kept for every tab by "Stay logged in on this device": an
  // agent opening the FAQ editor or a second console had to paste the token again.
  function token() {
    return window.sessionStorage.getItem(KEY) || window.localStorage.getItem(KEY);
  }

  var pending = false;  // a login being tried: another tab's login waits for it

  /* This tab's token goes, and the kept one with it only if it is the same: a wrong or
   * revoked token typed into one tab (an admin's, in the editor) logged every console out. */
  function forget() {
    var mine = window.sessionStorage.getItem(KEY) || window.localStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
    if (window.localStorage.getItem(KEY) === mine) window.localStorage.removeItem(KEY);
  }

  function api(method, path, body, raw) {
    var headers = { Authorization: "Bearer " + token() };
    var options = { method: method, headers: headers };
    if (body !== undefined) {
      if (raw) { options.body = body; headers["Content-Type"] = "text/plain"; }
      else { options.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
    }
    return fetch(path, options).then(function (response) {
      var type = response.headers.get("content-type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (response.ok) return data;
        if (response.status === 401) {
          forget();
          if (loggedIn) {
            // Revoked or expired while the page was open: it kept polling, showing a stale
            // list under the old name. Back to the login form, saying why, unless that
            // would throw away what the user has typed: then they are told first.
            loggedIn = false;
            if (unsaved()) expired();
            else {
              window.sessionStorage.setItem(NOTE, EXPIRED + " Log in with a valid token.");
              window.location.reload();
            }
          }
        }
        var error = new Error((data && data.detail) || response.statusText);
        error.status = response.status;
        error.code = data && data.error;  // "StaleEditError", "EntryStateError", ...
        throw error;
      });
    });
  }

  function expired(why) {
    var banner = el("div", "expired");
    banner.setAttribute("role", "alert");
    banner.appendChild(el("p", "error", (why || EXPIRED) + " What you typed is still here: " +
      "copy it, then log in again."));
    var again = el("button", "", "Log in again");
    again.type = "button";
    again.addEventListener("click", function () { window.location.reload(); });
    banner.appendChild(again);
    var main = document.getElementById("app");
    main.insertBefore(banner, main.firstChild);
  }

  /* ``check`` says whether the page holds text the user has not saved or sent yet. */
  function keepUnsaved(check) { unsaved = check; }

  /* Show the login form until a token works; then call start(me). */
  function login(title, role, start) {
    var main = document.getElementById("app");
    function attempt() {
      pending = true;
      return api("GET", "/api/agent/me").finally(function () {
        pending = false;
      }).then(function (me) {
        if (role === "admin" && me.role !== "admin") {
          window.sessionStorage.removeItem(KEY);  // another page may still take it
          throw new Error("This page needs an admin token.");
        }
        document.getElementById("who").textContent = me.name + " (" + me.role + ")";
        document.getElementById("logout").hidden = false;
        main.textContent = "";
        loggedIn = true;
        start(me);
      });
    }
    function form(message) {
      main.textContent = "";
      document.getElementById("who").textContent = "";
      document.getElementById("logout").hidden = true;  // nobody is logged in
      var box = el("form", "login");
      box.setAttribute("aria-labelledby", "login-title");
      var heading = el("h2", "", title);
      heading.id = "login-title";
      var label = el("label", "", "API token");
      label.setAttribute("for", "token");
      var input = el("input");
      input.id = "token";
      input.type = "password";
      input.autocomplete = "off";
      input.required = true;
      var hint = el("p", "", (role === "admin"
        ? "The first deskbot serve writes an admin token to var/admin-token.txt (in the data " +
          "folder). More: "
        : "Ask an admin for one, or create it: ") +
        "deskbot token create --role " + role + " --name YOUR-NAME");
      var error = el("p", "error", message || "");
      error.setAttribute("role", "alert");
      var stay = el("label", "stay");
      var keep = el("input");
      keep.type = "checkbox";
      stay.appendChild(keep);
      stay.appendChild(document.createTextNode(" Stay logged in on this device (all tabs)"));
      var submit = el("button", "", "Log in");
      submit.type = "submit";
      [heading, label, input, hint, stay, error, submit].forEach(function (n) {
        box.appendChild(n);
      });
      box.addEventListener("submit", function (event) {
        event.preventDefault();
        var value = input.value.trim();
        if (!value) {  // blanks were sent and called "unknown or revoked"
          error.textContent = "Enter your API token: the field holds only spaces.";
          input.focus();
          return;
        }
        window.sessionStorage.setItem(KEY, value);
        attempt().then(function () {
          if (keep.checked) window.localStorage.setItem(KEY, value);
        }).catch(function (e) { form(e.message); });
      });
      main.appendChild(box);
      input.focus();
    }
    document.getElementById("logout").addEventListener("click", function () {
      forget();
      window.location.reload();
    });
    // Logged out in another tab: out here too (the kept token is gone), and logged in
    // there: in here, if this tab shows the login form.
    window.addEventListener("storage", function (event) {
      if (event.key !== KEY) return;
      var mine = window.sessionStorage.getItem(KEY);
      if (event.newValue === null && loggedIn && mine === event.oldValue) {
        window.sessionStorage.removeItem(KEY);
        loggedIn = false;
        if (unsaved()) expired("You logged out in another tab.");
        else window.location.reload();
      } else if (event.newValue && !loggedIn && !pending && !typed()) {
        window.sessionStorage.setItem(KEY, event.newValue);
        attempt().catch(function (e) { form(e.message); });
      }
    });
    function typed() {
      var box = document.getElementById("token");
      return !!(box && box.value);
    }
    var note = window.sessionStorage.getItem(NOTE);
    window.sessionStorage.removeItem(NOTE);
    // A kept token becomes this tab's too, so a logout elsewhere is known to be this one's.
    if (!window.sessionStorage.getItem(KEY) && token()) {
      window.sessionStorage.setItem(KEY, token());
    }
    if (token()) attempt().catch(function (e) { form(e.message); });
    else form(note || "");
  }

  window.DeskbotConsole = {
    el: el, api: api, login: login, token: token, keepUnsaved: keepUnsaved,
  };
})();
