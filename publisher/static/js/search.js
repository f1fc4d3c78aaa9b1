/* Autocomplete for the site's search box: a WAI-ARIA 1.2 combobox over `search?q=…`.
 *
 * Progressive enhancement: without JavaScript the box is a plain form that opens the
 * results page. With it, suggestions come from the same endpoint as JSON (same origin,
 * no other request), and arrow keys, Enter and Escape work as in any combobox. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-search]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var status = form.querySelector("[data-search-status]");
  var items = [], active = -1, timer = null, last = "", controller = null;

  function close() {
    list.hidden = true; input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant"); active = -1;
  }

  function choose(index) {
    active = index;
    items.forEach(function (li, i) { li.setAttribute("aria-selected", String(i === index)); });
    if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); }
  }

  function render(answer) {
    list.textContent = ""; items = [];
    answer.results.forEach(function (result, i) {
      var li = document.createElement("li"), link = document.createElement("a");
      li.id = list.id + "-" + i; li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      link.href = result.iri; link.tabIndex = -1;
      link.textContent = result.name;
      if (result.matched && result.matched !== result.name) {
        link.textContent += " (" + result.matched + ")";
      }
      var small = document.createElement("small");
      small.textContent = result.description;
      link.appendChild(small); li.appendChild(link); list.appendChild(li); items.push(li);
    });
    var shown = items.length > 0;
    list.hidden = !shown; input.setAttribute("aria-expanded", String(shown));
    status.textContent = answer.total === 0 ? "No matches" :
      answer.total + (answer.total === 1 ? " match" : " matches");
    active = -1;
  }

  function suggest() {
    var q = input.value.trim();
    if (q === last) { return; }
    last = q;
    if (!q) { close(); status.textContent = ""; return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    fetch(form.action + "?limit=8&q=" + encodeURIComponent(q), {
      headers: { "Accept": "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && input.value.trim() === q) { render(answer); } })
      .catch(function () { /* aborted or offline: the form still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer); timer = setTimeout(suggest, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault(); list.hidden = false;
      input.setAttribute("aria-expanded", "true"); choose((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault(); choose(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault(); window.location.href = items[active].firstChild.href;
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
})();
