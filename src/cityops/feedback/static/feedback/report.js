/* The report form's map: tap to pin, or use the phone's location; fills the latitude/longitude inputs.
   Without JavaScript (or Leaflet) the inputs stay and the form works the same. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("report-map");
    var lat = document.getElementById("id_lat");
    var lng = document.getElementById("id_long");
    if (!el || !lat || !lng || typeof window.L === "undefined") { return; }
    var b = (el.getAttribute("data-bbox") || "").split(",").map(Number);
    if (b.length !== 4 || b.some(isNaN)) { return; }
    el.hidden = false;
    var L = window.L;
    L.Icon.Default.imagePath = el.getAttribute("data-icons") || "";
    var bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
    var map = L.map(el, { maxBounds: bounds.pad(0.2) }).fitBounds(bounds);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    L.rectangle(bounds, { weight: 1, fill: false }).addTo(map);
    var marker = null;
    function place(latlng, fill) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      if (fill) {
        lat.value = latlng.lat.toFixed(6);
        lng.value = latlng.lng.toFixed(6);
        lat.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    map.on("click", function (e) { place(e.latlng, true); });
    function fromInputs() {
      var y = parseFloat(lat.value), x = parseFloat(lng.value);
      if (!isNaN(y) && !isNaN(x)) { place(L.latLng(y, x), false); }
    }
    lat.addEventListener("change", fromInputs);
    lng.addEventListener("change", fromInputs);
    fromInputs();
    var btn = document.getElementById("use-location");
    if (btn && navigator.geolocation) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var p = L.latLng(pos.coords.latitude, pos.coords.longitude);
          place(p, true);
          map.setView(p, 16);
        });
      });
    }
  }
  /* Similar reports near the pin, fetched (debounced) while the citizen types. */
  function duplicates() {
    var box = document.getElementById("duplicates");
    var form = box && box.closest("form");
    if (!box || !form || !window.fetch) { return; }
    var timer = null;
    function check() {
      var params = new URLSearchParams({
        category: form.elements.category.value || "",
        lat: form.elements.lat.value || "",
        long: form.elements["long"].value || "",
        q: (form.elements.description.value || "").slice(0, 1000)
      });
      if (!params.get("category") || !params.get("lat") || !params.get("long")) { box.textContent = ""; return; }
      fetch(box.getAttribute("data-url") + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { box.innerHTML = html; })
        .catch(function () { box.textContent = ""; });
    }
    function later() { clearTimeout(timer); timer = setTimeout(check, 600); }
    ["category", "lat", "long", "description"].forEach(function (name) {
      var el = form.elements[name];
      if (el) { el.addEventListener("input", later); el.addEventListener("change", later); }
    });
    form.addEventListener("pinplaced", later);
  }
  /* Show only the chosen category's extra questions (all stay visible without JavaScript). */
  function questions() {
    var select = document.getElementById("id_category");
    var blocks = document.querySelectorAll(".fb-questions");
    if (!select || !blocks.length) { return; }
    function show() {
      Array.prototype.forEach.call(blocks, function (b) {
        var on = b.getAttribute("data-category") === select.value;
        b.hidden = !on;
        Array.prototype.forEach.call(b.querySelectorAll("input, select, textarea"), function (el) { el.disabled = !on; });
      });
    }
    select.addEventListener("change", show);
    show();
  }
  function init() { start(); duplicates(); questions(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
