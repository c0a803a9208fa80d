/* Figures rendered in the browser (components/export/callbacks.py, components/shell/presenter.py).
   The server hands over a job: slide-styled figures as plotly JSON. plotly.js, which Dash serves
   with the page (no CDN, nothing installed on the server), renders them:
     - render(job): a PNG or SVG file, or a PowerPoint deck (each figure slide to a PNG, in
       sequence, with progress after a second; then the images go to the deck route, which
       assembles the file); returns dcc.Download data.
     - slideFrame(children): the size of the presenter slide's body, for the server to lay the
       figure out for it.
     - slideImage(figure): the presenter slide's figure as an SVG data URL (the CSP allows data:).
   In an assets file because the Content-Security-Policy allows no inline scripts. */
window.dash_clientside = window.dash_clientside || {};
(function () {
  var NO_UPDATE = function () { return window.dash_clientside.no_update; };
  var REFERENCE_HEIGHT = 1080;   // the slide's type is sized in pixels of a 1080p screen
  var PROGRESS_AFTER_MS = 1000;

  function plotly() {
    // Dash loads plotly.js eagerly, but maybe after this code runs: wait for it.
    return new Promise(function (resolve, reject) {
      var waited = 0;
      (function check() {
        if (window.Plotly && window.Plotly.toImage) { resolve(window.Plotly); return; }
        if ((waited += 100) > 20000) { reject(new Error("plotly.js did not load")); return; }
        setTimeout(check, 100);
      })();
    });
  }

  function toImage(figure, format, scale) {
    var layout = figure.layout || {};
    return plotly().then(function (Plotly) {
      return Plotly.toImage({data: figure.data || [], layout: layout,
                             config: {staticPlot: true}},
                            {format: format, width: layout.width, height: layout.height,
                             scale: scale || 1});
    });
  }

  function utf8Base64(text) {
    var bytes = new TextEncoder().encode(text), out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  }

  function dataUrlBase64(url) {
    // plotly gives PNG as base64 and SVG URL-encoded
    var comma = url.indexOf(",");
    var head = url.slice(0, comma), body = url.slice(comma + 1);
    return head.indexOf(";base64") >= 0 ? body : utf8Base64(decodeURIComponent(body));
  }

  function blobBase64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(dataUrlBase64(reader.result)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  function dataUrlBlob(url) {
    var bytes = atob(dataUrlBase64(url)), arr = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) { arr[i] = bytes.charCodeAt(i); }
    return new Blob([arr], {type: "image/png"});
  }

  function say(progress, text) {
    if (progress) { window.dash_clientside.set_props(progress, {children: text}); }
  }

  function download(job, base64) {
    return {content: base64, filename: job.filename, base64: true, type: job.type};
  }

  function image(job) {
    var timer = setTimeout(function () { say(job.progress, "Rendering the image…"); },
                           PROGRESS_AFTER_MS);
    return toImage(job.figure, job.format, job.scale).then(function (url) {
      clearTimeout(timer);
      say(job.progress, "");
      return download(job, dataUrlBase64(url));
    }, function (err) { clearTimeout(timer); throw err; });
  }

  function pageDataset(job) {
    var el = document.getElementById(job.page);
    return el ? el.getAttribute("data-key") : "";
  }

  function deck(job) {
    var started = Date.now(), n = job.figures.length, images = [];
    function progress(text) {
      if (Date.now() - started > PROGRESS_AFTER_MS) { say(job.progress, text); }
    }
    var chain = Promise.resolve();
    job.figures.forEach(function (figure, i) {
      chain = chain.then(function () {
        progress("Rendering slide " + (i + 1) + " of " + n + "…");
        return toImage(figure, "png", job.scale).then(function (url) {
          images.push(dataUrlBlob(url));
        });
      });
    });
    return chain.then(function () {
      progress("Building the deck…");
      var form = new FormData();
      form.append("dataset", pageDataset(job));
      form.append("kind", job.deck);
      form.append("specs", JSON.stringify(job.specs));
      images.forEach(function (blob, i) { form.append("images", blob, "slide" + (i + 1) + ".png"); });
      var headers = {};
      headers[job.header] = "1";
      return fetch(job.route, {method: "POST", body: form, headers: headers,
                               credentials: "same-origin"});
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error(body.error || ("The deck was not made (" + response.status + ")."));
        });
      }
      return response.blob();
    }).then(function (blob) {
      return blobBase64(blob);
    }).then(function (base64) {
      say(job.progress, "");
      return download(job, base64);
    });
  }

  function render(job) {
    if (!job || !job.kind) { return NO_UPDATE(); }
    var work = job.kind === "deck" ? deck(job) : image(job);
    return work.catch(function (err) {
      say(job.progress, String(err && err.message ? err.message : err));
      if (window.console) { console.warn("export:", err); }
      return NO_UPDATE();
    });
  }

  function slideFrame(children) {
    // The body's size once laid out, in pixels of a screen 1080 high (the type's reference).
    return new Promise(function (resolve) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          var body = document.querySelector(".present-slide .present-body");
          if (!body || !children) { resolve(NO_UPDATE()); return; }
          var k = REFERENCE_HEIGHT / Math.max(window.innerHeight, 1);
          resolve({width: Math.round(body.clientWidth * k),
                   height: Math.round(body.clientHeight * k), at: Date.now()});
        });
      });
    });
  }

  function slideImage(figure) {
    if (!figure) { return ""; }
    return toImage(figure, "svg", 1).catch(function (err) {
      if (window.console) { console.warn("presenter:", err); }
      return "";
    });
  }

  window.dash_clientside.export = {render: render, slideFrame: slideFrame,
                                   slideImage: slideImage};
})();
