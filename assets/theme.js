/* Light / dark theme of the dashboard (components/shell/appearance.py). The figures are built
   light; `figure` redraws one in the other theme: plotly's template, the background and ink,
   and each colour of the palette's map (components/figures/theme.py DARK_COLORS, sent in the
   store as `colors`) wherever a trace, an annotation or a shape names it. theme.themed does
   the same in Python (its tests check the contrast of the result). */
(function () {
  var COLOR_KEYS = {color: true, fillcolor: true, bordercolor: true, gridcolor: true};
  var RGBA = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(,\s*[\d.]+\s*)?\)$/;

  function hex2(v) { var s = Math.min(parseInt(v, 10), 255).toString(16); return s.length < 2 ? "0" + s : s; }

  function hexColor(c) {
    var s = String(c).trim().toLowerCase();
    if (/^#[0-9a-f]{3}$/.test(s)) { return "#" + s[1] + s[1] + s[2] + s[2] + s[3] + s[3]; }
    if (/^#[0-9a-f]{6}$/.test(s)) { return s; }
    var m = RGBA.exec(s);
    return m ? "#" + hex2(m[1]) + hex2(m[2]) + hex2(m[3]) : null;
  }

  function swap(c, table) {
    var h = hexColor(c);
    if (h === null || !Object.prototype.hasOwnProperty.call(table, h)) { return c; }
    var m = RGBA.exec(String(c).trim().toLowerCase());
    if (m && m[4]) {
      var t = table[h];
      return "rgba(" + parseInt(t.slice(1, 3), 16) + ", " + parseInt(t.slice(3, 5), 16) + ", " +
        parseInt(t.slice(5, 7), 16) + m[4] + ")";
    }
    return table[h];
  }

  function remap(node, table) {
    if (Array.isArray(node)) { return node.map(function (x) { return remap(x, table); }); }
    if (!node || typeof node !== "object") { return node; }
    var out = {};
    Object.keys(node).forEach(function (k) {
      var v = node[k];
      if (k === "template") { out[k] = v; }
      else if (COLOR_KEYS[k] && typeof v === "string") { out[k] = swap(v, table); }
      else if (COLOR_KEYS[k] && Array.isArray(v)) {
        out[k] = v.map(function (x) { return typeof x === "string" ? swap(x, table) : x; });
      } else { out[k] = remap(v, table); }
    });
    return out;
  }

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
        var colors = templates.colors || {dark: {}, light: {}};
        var table = colors[want] || {};
        var layout = remap(fig.layout, table);
        layout.template = templates[want];
        layout.meta = Object.assign({}, (meta && !Array.isArray(meta)) ? meta : {}, {theme: want});
        layout.font = Object.assign({}, fig.layout.font || {},
          {color: dark ? colors.dark_ink || "#e3e6ea" : colors.light_ink || "#222"});
        layout.paper_bgcolor = dark ? colors.dark_bg || "#1d2126" : colors.light_bg || "white";
        layout.plot_bgcolor = layout.paper_bgcolor;
        return Object.assign({}, fig, {data: remap(fig.data || [], table), layout: layout});
      }
    }
  });
})();
