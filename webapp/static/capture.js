// The tablet capture page (现场验房): pick a unit, start the walk, record its defects one after another.
// Every defect is kept on the device first (IndexedDB, its photos as blobs) with its own id, then sent;
// without a connection it waits in the queue (待上传 N) and goes when the tablet is back online. The
// server knows a defect and a photo by their ids, so sending one twice records it once.
(function () {
  "use strict";

  var source = document.getElementById("capture-data");
  if (!source) { return; }
  var DATA = JSON.parse(source.textContent);
  var T = DATA.texts;
  var SESSION = DATA.session.id;
  var CACHE = "lintel-capture-v1";
  var WALK_KEY = "lintel-capture-walk-" + SESSION;
  var csrf = (function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  })();

  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (text, n) { return text.replace("%(n)s", String(n)); };

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // -- the device's store ------------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open("lintel-capture", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("defects", { keyPath: "client_id" }); };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  function tx(mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("defects", mode);
        var result = work(t.objectStore("defects"));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  var put = function (record) { return tx("readwrite", function (s) { s.put(record); }); };
  var remove = function (key) { return tx("readwrite", function (s) { s.delete(key); }); };
  var all = function () {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return (rows || []).filter(function (r) { return r.session_id === SESSION; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  };

  // -- the page's state ------------------------------------------------------------------------------
  var units = {};
  DATA.buildings.forEach(function (b) {
    b.units.forEach(function (u) { u.building = b; units[u.id] = u; });
  });
  var walk = null;  // {key, unit_id, owner_id, companion}
  try { walk = JSON.parse(localStorage.getItem(WALK_KEY) || "null"); } catch (e) { walk = null; }
  if (walk && !units[walk.unit_id]) { walk = null; }
  var building = DATA.buildings.length ? DATA.buildings[0].id : null;
  var chosenUnit = null;
  var draft = null;

  function newDraft(keepRoom) {
    draft = {
      room: keepRoom && draft ? draft.room : null, category: null, part: null, item: null,
      severity: null, photos: [], spot: null,
    };
  }
  newDraft(false);

  function unitLabel(u) { return u.building.name + " " + u.number; }

  function button(text, pressed, onClick, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "pick" + (extra ? " " + extra : "");
    b.textContent = text;
    b.setAttribute("aria-pressed", pressed ? "true" : "false");
    b.addEventListener("click", onClick);
    return b;
  }
  function fill(box, nodes) {
    box.textContent = "";
    nodes.forEach(function (n) { box.appendChild(n); });
  }
  function show(step) {
    ["step-unit", "step-walk", "step-record"].forEach(function (id) { $(id).hidden = id !== step; });
    window.scrollTo(0, 0);
  }

  // -- step 1: building and unit -----------------------------------------------------------------------
  function renderUnits() {
    fill($("buildings"), DATA.buildings.map(function (b) {
      return button(b.name, b.id === building, function () { building = b.id; $("unit-search").value = ""; renderUnits(); });
    }));
    var q = $("unit-search").value.trim();
    var rows = [];
    DATA.buildings.forEach(function (b) {
      if (!q && b.id !== building) { return; }
      b.units.forEach(function (u) { if (!q || u.number.indexOf(q) >= 0 || unitLabel(u).indexOf(q) >= 0) { rows.push(u); } });
    });
    var box = $("units");
    box.textContent = "";
    if (!rows.length) {
      var p = document.createElement("p"); p.className = "muted"; p.textContent = T.no_units; box.appendChild(p); return;
    }
    var floors = {};
    rows.forEach(function (u) { var f = q ? u.building.name : (u.floor === null ? "—" : fmt(T.floor, u.floor)); (floors[f] = floors[f] || []).push(u); });
    Object.keys(floors).forEach(function (f) {
      var line = document.createElement("div"); line.className = "unit-row";
      var head = document.createElement("span"); head.className = "unit-floor muted"; head.textContent = f;
      line.appendChild(head);
      floors[f].forEach(function (u) {
        line.appendChild(button(q ? unitLabel(u) : u.number, false, function () { chooseUnit(u); }, "unit"));
      });
      box.appendChild(line);
    });
  }

  function chooseUnit(u) {
    chosenUnit = u;
    $("walk-unit").textContent = DATA.session.project + " " + unitLabel(u);
    $("companion").value = "";
    $("walk-error").textContent = "";
    var picked = u.owners.length ? u.owners[0].id : null;
    var draw = function () {
      fill($("owners"), u.owners.map(function (o) {
        return button(o.name, o.id === picked, function () { picked = picked === o.id ? null : o.id; draw(); });
      }));
    };
    draw();
    $("start-walk").onclick = function () {
      var companion = $("companion").value.trim();
      if (!picked && !companion) { $("walk-error").textContent = T.companion_needed; return; }
      walk = { key: uuid(), unit_id: u.id, owner_id: companion ? null : picked, companion: companion || null };
      localStorage.setItem(WALK_KEY, JSON.stringify(walk));
      newDraft(false);
      openWalk();
    };
    show("step-walk");
  }

  // -- step 3: the defects of the unit -------------------------------------------------------------------
  function openWalk() {
    var u = units[walk.unit_id];
    $("record-unit").textContent = DATA.session.project + " " + unitLabel(u);
    var owner = u.owners.filter(function (o) { return o.id === walk.owner_id; })[0];
    $("record-companion").textContent = owner ? owner.name : (walk.companion || "");
    $("finish-note").textContent = "";
    var layout = u.layout ? DATA.layouts[String(u.layout)] : null;
    var plan = layout && layout.plan;
    $("plan").hidden = !plan;
    $("clear-spot").hidden = !plan;
    $("plan-none").textContent = plan ? "" : T.no_plan;
    if (plan) { $("plan-img").src = plan; }
    renderForm();
    renderRecorded();
    show("step-record");
  }

  function rooms() {
    var u = units[walk.unit_id];
    var layout = u.layout ? DATA.layouts[String(u.layout)] : null;
    return layout && layout.rooms.length ? layout.rooms : DATA.common_rooms;
  }

  function renderForm() {
    fill($("rooms"), rooms().map(function (r) {
      return button(r, draft.room === r, function () { draft.room = draft.room === r ? null : r; renderForm(); });
    }));
    fill($("categories"), DATA.catalogue.map(function (c) {
      return button(c.category, draft.category === c.category, function () {
        draft.category = c.category; draft.part = null; draft.item = null; renderForm();
      });
    }));
    var category = DATA.catalogue.filter(function (c) { return c.category === draft.category; })[0];
    if (category) {
      fill($("parts"), category.parts.map(function (p) {
        return button(p.part, draft.part === p.part, function () { draft.part = p.part; draft.item = null; renderForm(); });
      }));
      var part = category.parts.filter(function (p) { return p.part === draft.part; })[0];
      if (part) {
        fill($("items"), part.items.map(function (i) {
          return button(i.item, draft.item && draft.item.id === i.id, function () {
            draft.item = i; draft.severity = i.severity; $("item-text").value = ""; renderForm();
          });
        }));
      }
    }
    Array.prototype.forEach.call($("severities").querySelectorAll("[data-severity]"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-severity") === draft.severity ? "true" : "false");
    });
    var previews = $("photo-previews");
    previews.textContent = "";
    draft.photos.forEach(function (p, index) {
      var figure = document.createElement("figure");
      var img = document.createElement("img"); img.src = p.url; img.alt = p.name;
      var drop = button("×", false, function () { URL.revokeObjectURL(p.url); draft.photos.splice(index, 1); renderForm(); }, "drop");
      figure.appendChild(img); figure.appendChild(drop); previews.appendChild(figure);
    });
    var spot = $("plan-spot");
    spot.hidden = !draft.spot;
    if (draft.spot) { spot.style.left = (draft.spot.x * 100) + "%"; spot.style.top = (draft.spot.y * 100) + "%"; }
  }

  $("severities").addEventListener("click", function (event) {
    var b = event.target.closest("[data-severity]");
    if (b) { draft.severity = b.getAttribute("data-severity"); renderForm(); }
  });
  $("item-text").addEventListener("input", function () {
    if (this.value.trim()) { draft.item = null; renderForm(); }
  });
  $("plan-img").addEventListener("click", function (event) {
    var box = this.getBoundingClientRect();
    var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    draft.spot = { x: Math.round(x * 10000) / 10000, y: Math.round(y * 10000) / 10000 };
    renderForm();
  });
  $("clear-spot").addEventListener("click", function () { draft.spot = null; renderForm(); });

  // Photos are made smaller on the tablet (long side at most 1600 px, JPEG) before they are kept.
  function shrink(file) {
    var fallback = { blob: file, name: file.name || "photo.jpg" };
    if (!window.createImageBitmap) { return Promise.resolve(fallback); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var base = (file.name || "photo").replace(/\.[^.]*$/, "");
          resolve(blob ? { blob: blob, name: base + ".jpg" } : fallback);
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return fallback; });
  }
  $("photos").addEventListener("change", function () {
    var files = Array.prototype.slice.call(this.files || []);
    this.value = "";
    Promise.all(files.map(shrink)).then(function (shrunk) {
      shrunk.forEach(function (s) {
        draft.photos.push({ id: uuid(), name: s.name, blob: s.blob, url: URL.createObjectURL(s.blob) });
      });
      renderForm();
    });
  });

  $("defect-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var typed = $("item-text").value.trim();
    var error = "";
    if (!draft.item && !(typed && draft.category && draft.part)) { error = T.choose_item; }
    else if (!draft.severity) { error = T.choose_severity; }
    $("form-error").textContent = error;
    if (error) { return; }
    var payload = {
      client_id: uuid(),
      unit_id: walk.unit_id,
      owner_id: walk.owner_id,
      companion: walk.companion,
      room: draft.room,
      catalogue_id: draft.item ? draft.item.id : null,
      category: draft.item ? null : draft.category,
      part: draft.item ? null : draft.part,
      item: draft.item ? null : typed,
      severity: draft.severity,
      description: $("description").value.trim() || null,
      spot_x: draft.spot ? draft.spot.x : null,
      spot_y: draft.spot ? draft.spot.y : null,
    };
    var what = draft.item ? draft.category + " / " + draft.part + " / " + draft.item.item
      : draft.category + " / " + draft.part + " / " + typed;
    var record = {
      client_id: payload.client_id, session_id: SESSION, walk_key: walk.key, unit_id: walk.unit_id,
      what: what, room: draft.room, payload: payload, created: Date.now(), state: "queued",
      photos: draft.photos.map(function (p) { return { id: p.id, name: p.name, blob: p.blob }; }),
      photo_count: draft.photos.length,
    };
    draft.photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
    put(record).then(function () {
      newDraft(true);
      $("item-text").value = "";
      $("description").value = "";
      $("form-error").textContent = "";
      renderForm();
      renderRecorded();
      sync();
    }, function (e) { $("form-error").textContent = String(e); });
  });

  function renderRecorded() {
    return all().then(function (rows) {
      var mine = rows.filter(function (r) { return walk && r.walk_key === walk.key; });
      var list = $("recorded");
      list.textContent = "";
      mine.forEach(function (r) {
        var li = document.createElement("li");
        li.className = "state-" + r.state;
        li.setAttribute("data-client-id", r.client_id);
        var what = document.createElement("span");
        what.textContent = (r.room ? r.room + " · " : "") + r.what + (r.photo_count ? " · " + fmt(T.photos, r.photo_count) : "");
        var state = document.createElement("span");
        state.className = "badge " + (r.state === "sent" ? "ok" : r.state === "failed" ? "late" : "grey");
        state.textContent = r.state === "sent" ? (r.number || T.sent) : r.state === "failed" ? T.failed : T.waiting;
        li.appendChild(state); li.appendChild(document.createTextNode(" ")); li.appendChild(what);
        if (r.state === "failed") {
          var why = document.createElement("p"); why.className = "field-error";
          var fields = r.fields || {};
          why.textContent = Object.keys(fields).map(function (k) { return fields[k]; }).join("；") || r.error || "";
          li.appendChild(why);
          li.appendChild(button(T.discard, false, function () {
            if (window.confirm(T.discard_confirm)) { remove(r.client_id).then(renderRecorded).then(renderQueue); }
          }, "secondary"));
        }
        list.appendChild(li);
      });
      $("recorded-count").textContent = String(mine.length);
      renderQueue(rows);
    });
  }

  function renderQueue(rows) {
    var count = function (list) {
      var n = list.filter(function (r) { return r.state === "queued"; }).length;
      $("queue").textContent = n ? fmt(T.pending, n) : T.all_sent;
      $("queue").className = "badge " + (n ? "esc" : "ok");
      $("queue").setAttribute("data-pending", String(n));
      $("sync-now").hidden = !n;
    };
    return rows ? count(rows) : all().then(count);
  }

  function renderNet() {
    var online = navigator.onLine;
    $("net").textContent = online ? T.online : T.offline;
    $("net").className = "badge " + (online ? "ok" : "late");
  }

  // -- sending ----------------------------------------------------------------------------------------
  var syncing = null;
  var retryDelay = 3000;
  var retryTimer = null;
  function retryLater() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; sync(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function send(record) {
    var body = new FormData();
    body.append("defect", JSON.stringify(record.payload));
    record.photos.forEach(function (p) { body.append("photo", p.blob, p.name); body.append("photo_id", p.id); });
    return fetch(DATA.urls.defects, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    });
  }

  var syncAgain = false;
  function sync() {
    if (syncing) { syncAgain = true; return syncing; }
    syncing = all().then(function (rows) {
      var queued = rows.filter(function (r) { return r.state === "queued"; });
      var next = function (i) {
        if (i >= queued.length) { retryDelay = 3000; return null; }
        var record = queued[i];
        return send(record).then(function (response) {
          if (response.status === 200 || response.status === 201) {
            $("sync-note").hidden = true;
            return response.json().then(function (body) {
              record.state = "sent"; record.number = body.number; record.walk_id = body.walk_id;
              record.photos = [];
              return put(record).then(function () { return next(i + 1); });
            });
          }
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (json && (response.status === 400 || response.status === 422)) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              record.state = "failed"; record.error = body.message || ""; record.fields = body.fields || {};
              return put(record).then(function () { return next(i + 1); });
            });
          }
          // Signed out, or a page older than the sign-in (its form token refused): kept, sent after a reload.
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403 ||
              (response.status === 400 && !json)) {
            $("sync-note").textContent = T.sign_in_again;
            $("sync-note").hidden = false;
          }
          retryLater();
          return null;
        }, function () { retryLater(); return null; });
      };
      return next(0);
    }).then(function () {
      syncing = null;
      if (syncAgain) { syncAgain = false; return sync(); }  // recorded while this round was sending
      return renderRecorded();
    }, function () { syncing = null; retryLater(); });
    return syncing;
  }

  $("sync-now").addEventListener("click", function () { retryDelay = 3000; sync(); });
  window.addEventListener("online", function () { renderNet(); retryDelay = 3000; sync(); });
  window.addEventListener("offline", renderNet);
  setInterval(function () { if (navigator.onLine) { sync(); } }, 30000);

  // -- the walk's end: the owner signs on the server's list ----------------------------------------------
  $("finish-walk").addEventListener("click", function () {
    if (!navigator.onLine) { $("finish-note").textContent = T.sign_offline; return; }
    $("finish-note").textContent = T.sign_wait;
    var ending = walk;
    Promise.resolve(sync()).then(all).then(function (rows) {
      var waiting = rows.filter(function (r) { return r.walk_key === ending.key && r.state === "queued"; });
      if (waiting.length) { $("finish-note").textContent = T.sign_offline; return null; }
      return fetch(DATA.urls.walks, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ unit_id: ending.unit_id, owner_id: ending.owner_id, companion: ending.companion }),
      }).then(function (response) {
        if (response.status !== 200 && response.status !== 201) { $("finish-note").textContent = T.sign_offline; return; }
        return response.json().then(function (body) {
          localStorage.removeItem(WALK_KEY);
          window.location.href = body.sign_url;
        });
      });
    }).catch(function () { $("finish-note").textContent = T.sign_offline; });
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-back-units]"), function (b) {
    b.addEventListener("click", function () { renderUnits(); show("step-unit"); });
  });
  $("unit-search").addEventListener("input", renderUnits);

  // -- the page offline next time: the service worker, and what it needs cached now ------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(DATA.urls.worker, { scope: DATA.urls.scope }).catch(function () {});
  }
  if (window.caches && navigator.onLine) {
    var wanted = [window.location.pathname].concat(DATA.urls.shell);
    Object.keys(DATA.layouts).forEach(function (k) { if (DATA.layouts[k].plan) { wanted.push(DATA.layouts[k].plan); } });
    caches.open(CACHE).then(function (cache) {
      wanted.forEach(function (url) { cache.add(new Request(url, { credentials: "same-origin" })).catch(function () {}); });
    });
  }

  renderNet();
  renderUnits();
  if (walk) { openWalk(); } else { renderQueue(); }
  sync();
})();
