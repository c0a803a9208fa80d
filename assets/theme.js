/* Light / dark theme of the dashboard (components/appearance.py). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  theme: {
    container: function (dark) {
      var mode = dark ? "dark" : "light";
      document.documentElement.setAttribute("data-bs-theme", mode);
      document.documentElement.setAttribute("data-ag-theme-mode", mode);
      return dark ? "app-container theme-dark" : "app-container";
    },
    figure: function (dark, fig, templates) {
      var noUpdate = window.dash_clientside.no_update;
      if (!fig || !fig.layout || !templates) { return noUpdate; }
      var want = dark ? "dark" : "light";
      var meta = fig.layout.meta;
      var current = (meta && !Array.isArray(meta) && meta.theme) || "light";
      if (current === want) { return noUpdate; }
      var layout = Object.assign({}, fig.layout);
      layout.template = templates[want];
      layout.meta = Object.assign({}, (meta && !Array.isArray(meta)) ? meta : {}, {theme: want});
      layout.font = Object.assign({}, fig.layout.font || {}, {color: dark ? "#e3e6ea" : "#222"});
      layout.paper_bgcolor = dark ? "#1d2126" : "white";
      layout.plot_bgcolor = dark ? "#1d2126" : "white";
      return Object.assign({}, fig, {layout: layout});
    }
  }
});
