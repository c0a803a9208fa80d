/* Opening a dataset in the browser (components/upload.py).
 *
 * The drop zones (.upload-zone, data-kind "files" or "folder") are drawn by Dash; this script
 * handles clicks and drops on them, sends the files as one multipart request to the upload
 * route (data-url) with the folder path of each file in its name, shows the progress, and puts
 * the route's answer in the Dash store "upload-result", whose callback shows the findings or
 * reloads the page on the new dataset.
 */
(function () {
  "use strict";
  var PROGRESS = "upload-progress";
  var RESULT = "upload-result";
  var inputs = {};

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function megabytes(n) {
    return n < 1024 * 1024 ? Math.ceil(n / 1024) + " KB" : (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function zoneOf(target) {
    return target && target.closest ? target.closest(".upload-zone") : null;
  }

  function send(files, url, limit) {
    if (!files.length) { return; }
    var total = files.reduce(function (sum, f) { return sum + f.file.size; }, 0);
    if (limit && total > limit) {
      setProps(RESULT, {data: {opened: false, error: "The files add up to " + megabytes(total) +
        "; the limit is " + megabytes(limit) + ". Nothing was sent. (A zip of the same " +
        "files is usually far smaller.)"}});
      return;
    }
    var form = new FormData();
    files.forEach(function (f) { form.append("files", f.file, f.path || f.file.name); });
    var request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-Trial-Upload", "1");
    request.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        setProps(PROGRESS, {children: "Sending " + megabytes(e.loaded) + " of " +
                            megabytes(e.total) + "…"});
      }
    };
    request.upload.onload = function () {
      setProps(PROGRESS, {children: "Sent. Checking the files…"});
    };
    request.onload = function () {
      var answer;
      try { answer = JSON.parse(request.responseText); } catch (err) {
        answer = {opened: false, error: request.status === 413 ?
          (request.responseText || "The files are too large.") :
          "The server could not take the files (HTTP " + request.status + ")."};
      }
      setProps(PROGRESS, {children: ""});
      setProps(RESULT, {data: answer});
    };
    request.onerror = function () {
      setProps(PROGRESS, {children: ""});
      setProps(RESULT, {data: {opened: false, error: "The files could not be sent (network)."}});
    };
    setProps(RESULT, {data: null});
    setProps(PROGRESS, {children: "Sending " + files.length + " file(s)…"});
    request.send(form);
  }

  function fromList(list) {
    return Array.prototype.map.call(list || [], function (file) {
      return {file: file, path: file.webkitRelativePath || file.name};
    });
  }

  /* The hidden file input of a kind of zone (made once, kept in the page for reuse). */
  function input(kind, url, limit) {
    if (!inputs[kind]) {
      var el = document.createElement("input");
      el.type = "file";
      el.multiple = true;
      el.id = "upload-input-" + kind;
      el.style.display = "none";
      if (kind === "folder") { el.webkitdirectory = true; }
      el.addEventListener("change", function () {
        send(fromList(el.files), el.dataset.url, Number(el.dataset.limit) || 0);
        el.value = "";
      });
      document.body.appendChild(el);
      inputs[kind] = el;
    }
    if (url) { inputs[kind].dataset.url = url; }
    if (limit) { inputs[kind].dataset.limit = limit; }
    return inputs[kind];
  }

  /* Every file under a dropped folder, with its path ("folder/sub/file.csv"). */
  function walk(entry, prefix, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (file) {
          out.push({file: file, path: prefix + file.name});
          resolve();
        }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var all = [];
        var more = function () {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(all.map(function (e) {
                return walk(e, prefix + entry.name + "/", out);
              })).then(resolve);
              return;
            }
            all = all.concat(Array.prototype.slice.call(batch));
            more();
          }, function () { resolve(); });
        };
        more();
      } else { resolve(); }
    });
  }

  function dropped(event, url, limit) {
    var items = event.dataTransfer && event.dataTransfer.items;
    var entries = items ? Array.prototype.map.call(items, function (item) {
      return item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    }) : [];
    if (!entries.length || entries.some(function (e) { return !e; })) {
      send(fromList(event.dataTransfer.files), url, limit);
      return;
    }
    var out = [];
    Promise.all(entries.map(function (e) { return walk(e, "", out); })).then(function () {
      send(out, url, limit);
    });
  }

  function openPicker(zone) {
    input(zone.dataset.kind, zone.dataset.url, zone.dataset.limit).click();
  }

  document.addEventListener("click", function (event) {
    var zone = zoneOf(event.target);
    if (zone) { openPicker(zone); }
  });
  document.addEventListener("keydown", function (event) {
    var zone = zoneOf(event.target);
    if (zone && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      openPicker(zone);
    }
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = zoneOf(event.target);
      if (zone) { event.preventDefault(); zone.classList.add("upload-zone-active"); }
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone) { zone.classList.remove("upload-zone-active"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("upload-zone-active");
    dropped(event, zone.dataset.url, Number(zone.dataset.limit) || 0);
  });

  window.trialUpload = {input: input, send: send};
}());
