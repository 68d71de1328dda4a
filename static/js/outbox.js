// The phone's outbox: a visit sent without signal waits in IndexedDB, under the client id made
// when its draft was started, and goes by itself when the portal answers again.
//
// Rules (what the field's tools get wrong, we must not): an item is done only when the portal's
// 2xx reply names its client id; a redirect to the login page keeps it and asks to sign in; a
// refusal (4xx) is kept aside with the portal's reasons and never blocks the others; network
// errors and 5xx retry with backoff (1 s doubling to 5 min); two tabs never send at once (Web
// Locks); "reachable" means the portal answered, never navigator.onLine. Logging out is refused
// while anything waits, and otherwise clears the caches and the stored items.
(function () {
  "use strict";
  var DB_NAME = "portal-outbox";
  var STORE = "items";
  var LOCK = "portal-outbox-send";
  var MAX_DELAY = 5 * 60 * 1000;
  var PHOTO_EDGE = 1600;
  var PAGE_CACHE = "portal-pages";
  var SENT_KEPT_MS = 7 * 24 * 3600 * 1000;
  var texts = (document.getElementById("outbox-texts") || {dataset: {}}).dataset;
  var urls = {
    session: texts.sessionUrl || "/offline/session/",
    pages: texts.pagesUrl || "/offline/pages/",
    login: texts.loginUrl || "/login/",
    myWork: texts.myWorkUrl || "/my/"
  };
  var delay = 1000;
  var timer = null;
  var editing = false;

  // ---- storage -------------------------------------------------------------------------
  function database() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "id"}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function transact(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function allItems() {
    return transact("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function save(item) { return transact("readwrite", function (store) { return store.put(item); }); }
  function discard(id) { return transact("readwrite", function (store) { return store.delete(id); }); }
  function itemById(id) { return transact("readonly", function (store) { return store.get(id); }); }
  function pending(items) { return items.filter(function (item) { return item.state !== "sent"; }); }

  // ---- capture ---------------------------------------------------------------------------
  function clientId(form) {
    var key = "outbox-id:" + form.dataset.draftKey;
    var id = localStorage.getItem(key);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(key, id);
    }
    return id;
  }
  function shrink(file) {
    if (!file || !file.size || !/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file && file.size ? file : null);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", {type: "image/jpeg"}) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });  // not decodable here (HEIC): the portal converts it
  }
  function capture(form, submitter) {
    var id = clientId(form);
    var data = new FormData(form, submitter);
    data.set("client_token", id);
    var fileField = form.querySelector("input[type=file]");
    var file = fileField && fileField.files[0];
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") fields.push([name, value]);
    });
    return shrink(file).then(function (photo) {
      var item = {
        id: id,
        url: form.action || window.location.href,
        fields: fields,
        file: photo ? {field: fileField.name, name: photo.name, blob: photo} : null,
        label: form.dataset.outboxLabel || document.title,
        created: Date.now(),
        state: "waiting"
      };
      return save(item).then(function () {
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
        return item;
      });
    });
  }
  function forget(form) {
    localStorage.removeItem("outbox-id:" + form.dataset.draftKey);
    localStorage.removeItem("draft:" + form.dataset.draftKey);
  }
  function showRefusal(form, message) {
    var notice = form.querySelector("[data-outbox-refused]");
    if (!notice) return;
    notice.textContent = message;
    notice.classList.remove("d-none");
    notice.scrollIntoView();
  }
  // "Gửi": the visit is stored first, then sent at once. Landed: its page, as before. Refused
  // while the member is still on the form: the reasons above it, to fix there. Not reachable,
  // or signed out: it waits in the outbox, and "Việc của tôi" shows it.
  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    form.querySelector("input[name=client_token]").value = clientId(form);
    form.addEventListener("input", function () { editing = true; });
    form.addEventListener("submit", function (event) {
      if (!event.submitter || event.submitter.name !== "submit") return;  // "Lưu nháp" posts as ever
      event.preventDefault();
      editing = false;
      var submitter = event.submitter;
      var stored = capture(form, submitter);  // reads the form (and its submitter) now
      submitter.disabled = true;
      stored.then(function (item) {
        return sync(item.id).then(function () { return itemById(item.id); });
      }).then(function (item) {
        if (item && item.state === "sent") {
          forget(form);
          window.location.assign(item.visitUrl);
        } else if (item && item.state === "refused") {
          submitter.disabled = false;
          showRefusal(form, item.message);
          return discard(item.id).then(render);
        } else {
          forget(form);
          window.location.assign(urls.myWork);
        }
        return null;
      }).catch(function () {
        submitter.disabled = false;
        var notice = form.querySelector("[data-outbox-failed]");
        if (notice) notice.classList.remove("d-none");
      });
    });
  });

  // ---- sending ---------------------------------------------------------------------------
  function isLogin(response) {
    return response.redirected && new URL(response.url).pathname.indexOf(urls.login) === 0;
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { sync(); }, delay);
    delay = Math.min(delay * 2, MAX_DELAY);
  }
  function reasons(data, response) {
    if (!data) return (texts.refused || "") + " (" + response.status + ")";
    var lines = [data.message || ""];
    Object.keys(data.errors || {}).forEach(function (field) {
      var messages = data.errors[field];
      if (Array.isArray(messages) && field !== "visit" && field !== "fields") {
        lines.push((field ? field + ": " : "") + messages.join(" "));
      }
    });
    return lines.filter(Boolean).join(" ");
  }
  function send(item, csrf) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.set("csrfmiddlewaretoken", csrf);
    if (item.file) body.append(item.file.field, item.file.blob, item.file.name);
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"X-Portal-Outbox": "1", "X-CSRFToken": csrf, "Accept": "application/json"}
    });
  }
  function deliver(items, csrf) {
    if (!items.length) { delay = 1000; return Promise.resolve(); }
    var item = items[0];
    item.state = "sending";
    return save(item).then(render).then(function () { return send(item, csrf); }).then(function (response) {
      if (isLogin(response)) {
        item.state = "login";
        return save(item).then(render);  // kept; the member signs in again, then it goes
      }
      var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
      return (json ? response.json() : Promise.resolve(null)).then(function (data) {
        if (response.ok && data && data.client_id === item.id) {
          item.state = "sent";
          item.sentAt = Date.now();
          item.visitUrl = data.url;
          item.file = null;
          localStorage.setItem("outbox-synced", String(item.sentAt));
          return save(item).then(function () { return deliver(items.slice(1), csrf); });
        }
        if (response.status >= 400 && response.status < 500) {
          item.state = "refused";
          item.message = reasons(data, response);
          return save(item).then(function () { return deliver(items.slice(1), csrf); });
        }
        item.state = "waiting";  // 5xx, or an answer that does not name it: try again later
        return save(item).then(schedule);
      });
    }, function () {
      item.state = "waiting";  // the portal did not answer
      return save(item).then(schedule);
    });
  }
  function run(onlyId) {
    return allItems().then(function (items) {
      var due = items.filter(function (item) {
        if (onlyId && item.id !== onlyId) return false;
        return item.state === "waiting" || item.state === "sending" || item.state === "login";
      });
      if (!due.length) return null;
      return fetch(urls.session, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
        .then(function (probe) {
          if (isLogin(probe)) {
            return Promise.all(due.map(function (item) { item.state = "login"; return save(item); }));
          }
          if (!probe.ok) { schedule(); return null; }
          return probe.json().then(function (session) { return deliver(due, session.csrf); });
        }, function () { schedule(); });
    }).then(render, render);
  }
  function sync(onlyId) {
    var only = typeof onlyId === "string" ? onlyId : null;
    if (navigator.locks && navigator.locks.request) {
      // Another tab sending now: this one waits for it when it has an item of its own to send.
      var options = only ? {} : {ifAvailable: true};
      return navigator.locks.request(LOCK, options, function (lock) { return lock ? run(only) : null; });
    }
    return run(only);
  }

  // ---- what the member sees ---------------------------------------------------------------
  function time(ms) {
    var day = new Date(ms);
    return ("0" + day.getHours()).slice(-2) + ":" + ("0" + day.getMinutes()).slice(-2) + " " +
      ("0" + day.getDate()).slice(-2) + "/" + ("0" + (day.getMonth() + 1)).slice(-2) + "/" + day.getFullYear();
  }
  function stateText(item) {
    if (item.state === "sent") return (texts.sent || "") + " " + time(item.sentAt);
    return texts[item.state] || item.state;
  }
  function render() {
    return allItems().then(function (items) {
      var now = Date.now();
      var old = items.filter(function (item) { return item.state === "sent" && now - item.sentAt > SENT_KEPT_MS; });
      old.forEach(function (item) { discard(item.id); });
      var waiting = pending(items).length;
      document.querySelectorAll("[data-outbox-count]").forEach(function (badge) {
        badge.textContent = String(waiting);
        badge.classList.toggle("d-none", waiting === 0);
      });
      var synced = localStorage.getItem("outbox-synced");
      document.querySelectorAll("[data-outbox-synced]").forEach(function (node) {
        node.textContent = synced ? time(Number(synced)) : (texts.never || "");
      });
      document.querySelectorAll("[data-outbox-list]").forEach(function (list) {
        list.replaceChildren();
        items.filter(function (item) { return old.indexOf(item) < 0; }).forEach(function (item) {
          var row = document.createElement("li");
          row.className = "list-group-item";
          row.dataset.outboxItem = item.id;
          row.dataset.state = item.state;
          var label = document.createElement("div");
          label.textContent = item.label;
          var state = document.createElement("div");
          state.className = "small fw-bold";
          state.textContent = stateText(item);
          row.append(label, state);
          if (item.state === "refused") {
            var why = document.createElement("div");
            why.className = "small text-danger";
            why.dataset.outboxReason = "";
            why.textContent = item.message || "";
            var fix = document.createElement("button");
            fix.type = "button";
            fix.className = "btn btn-sm btn-outline-primary me-2 mt-1";
            fix.textContent = texts.fix || "Sửa";
            fix.addEventListener("click", function () { reopen(item); });
            var drop = document.createElement("button");
            drop.type = "button";
            drop.className = "btn btn-sm btn-outline-danger mt-1";
            drop.textContent = texts.discard || "Bỏ";
            drop.addEventListener("click", function () {
              if (window.confirm(texts.discardConfirm || "")) discard(item.id).then(render);
            });
            row.append(why, fix, drop);
          } else if (item.state === "login") {
            var link = document.createElement("a");
            link.href = urls.login + "?next=" + encodeURIComponent(urls.myWork);
            link.textContent = texts.signIn || "";
            row.append(link);
          } else if (item.state === "sent" && item.visitUrl) {
            var open = document.createElement("a");
            open.href = item.visitUrl;
            open.className = "small";
            open.textContent = texts.open || "";
            row.append(open);
          }
          list.append(row);
        });
        var empty = list.parentElement && list.parentElement.querySelector("[data-outbox-empty]");
        if (empty) empty.classList.toggle("d-none", items.length > 0);
      });
    });
  }
  function reopen(item) {
    // Back into the form's draft (draft.js restores it), under the same client id.
    var url = new URL(item.url, window.location.href);
    var draft = {};
    item.fields.forEach(function (pair) { draft[pair[0]] = pair[1]; });
    var key = "visit-new-" + (url.searchParams.get("meeting") || draft.meeting || "field");
    localStorage.setItem("draft:" + key, JSON.stringify(draft));
    localStorage.setItem("outbox-id:" + key, item.id);
    discard(item.id).then(function () { window.location.assign(url.pathname + url.search); });
  }
  function exportItems() {
    allItems().then(function (items) {
      return Promise.all(pending(items).map(function (item) {
        if (!item.file) return Object.assign({}, item);
        return new Promise(function (resolve) {
          var reader = new FileReader();
          reader.onload = function () {
            resolve(Object.assign({}, item, {file: {field: item.file.field, name: item.file.name, dataUrl: reader.result}}));
          };
          reader.readAsDataURL(item.file.blob);
        });
      }));
    }).then(function (items) {
      var blob = new Blob([JSON.stringify({exported: new Date().toISOString(), items: items}, null, 2)], {type: "application/json"});
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "ban-ghi-cho-gui-" + new Date().toISOString().slice(0, 10) + ".json";
      document.body.append(link);
      link.click();
      link.remove();
    });
  }
  function keepForOffline(button) {
    var status = document.querySelector("[data-offline-kept]");
    button.disabled = true;
    fetch(urls.pages, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (!response.ok || isLogin(response)) throw new Error("not signed in");
      return response.json();
    }).then(function (list) {
      return caches.open(PAGE_CACHE).then(function (cache) {
        return Promise.all(list.urls.map(function (url) {
          return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (page) {
            if (page.ok && !page.redirected) return cache.put(url, page);
            return null;
          });
        }));
      });
    }).then(function () {
      localStorage.setItem("offline-kept", String(Date.now()));
      showKept();
    }).catch(function () {
      if (status) status.textContent = texts.keepFailed || "";
    }).then(function () { button.disabled = false; });
  }
  function showKept() {
    var kept = localStorage.getItem("offline-kept");
    document.querySelectorAll("[data-offline-kept]").forEach(function (node) {
      node.textContent = kept ? time(Number(kept)) : (texts.never || "");
    });
  }
  document.querySelectorAll("[data-outbox-send]").forEach(function (button) {
    button.addEventListener("click", function () { delay = 1000; sync(); });
  });
  document.querySelectorAll("[data-outbox-export]").forEach(function (button) {
    button.addEventListener("click", exportItems);
  });
  document.querySelectorAll("[data-offline-keep]").forEach(function (button) {
    button.addEventListener("click", function () { keepForOffline(button); });
  });

  // ---- signing out -------------------------------------------------------------------------
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      allItems().then(function (items) {
        var waiting = items.filter(function (item) { return item.state !== "sent"; });
        if (waiting.length) {
          window.alert(texts.logoutRefused || "");
          return;
        }
        var clearing = [new Promise(function (resolve) {
          var request = indexedDB.deleteDatabase(DB_NAME);
          request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
        })];
        if (window.caches) {
          clearing.push(caches.keys().then(function (names) {
            return Promise.all(names.filter(function (name) { return name.indexOf("portal-") === 0; })
              .map(function (name) { return caches.delete(name); }));
          }));
        }
        Object.keys(localStorage).forEach(function (key) {
          if (/^(draft:|outbox-|offline-)/.test(key)) localStorage.removeItem(key);
        });
        Promise.all(clearing).then(function () { form.submit(); });
      });
    });
  });

  // ---- the service worker and its updates ---------------------------------------------------
  function offerUpdate(registration) {
    if (registration.waiting && !editing) registration.waiting.postMessage({type: "skip-waiting"});
  }
  if ("serviceWorker" in navigator && texts.workerUrl) {
    navigator.serviceWorker.register(texts.workerUrl, {scope: "/"}).then(function (registration) {
      offerUpdate(registration);
      registration.addEventListener("updatefound", function () {
        var worker = registration.installing;
        if (!worker) return;
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed") offerUpdate(registration);
        });
      });
      document.addEventListener("visibilitychange", function () { offerUpdate(registration); });
    });
  }

  window.addEventListener("online", function () { delay = 1000; sync(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sync();
  });
  showKept();
  render().then(sync);
})();
