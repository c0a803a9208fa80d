/* The tab whose view is on screen (components/shell/pages.py): the active tab while the
   dashboard is shown, null on a patient's page (any other path), so the dashboard's views
   compute nothing behind a patient's page. Unchanged values are not written again, so moving
   from one patient to the next fires no view. Same routes as components/state/routes.py. */
(function () {
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pages: {
      visibleTab: function (activeTab, pathname, current) {
        var onDashboard = !pathname || pathname === "/";
        var visible = onDashboard ? activeTab || null : null;
        return visible === current ? window.dash_clientside.no_update : visible;
      },
    },
  });
})();
