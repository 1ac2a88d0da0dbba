/* lettergen web page: helpers shared by the pages (plain JavaScript, no libraries). */
"use strict";
var LG = window.LG || {};
window.LG = LG;

LG.csrf = function () { return document.body.getAttribute("data-csrf") || ""; };

/* fetch JSON; unsafe methods carry the session's CSRF token. Resolves {ok, status, body}. */
LG.request = function (method, url, body) {
  var options = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
  if (method !== "GET") { options.headers["X-CSRF-Token"] = LG.csrf(); }
  if (body instanceof FormData) { options.body = body; }
  else if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  return fetch(url, options).then(function (response) {
    if (response.status === 401) {  // the session ended (logout elsewhere, expiry, account disabled)
      window.location.href = "/ui/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    }
    return response.text().then(function (text) {
      var parsed = null;
      try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = {detail: text}; }
      return {ok: response.ok, status: response.status, body: parsed};
    });
  });
};

/* Run fn once the user has paused for `wait` ms. */
LG.debounce = function (fn, wait) {
  var timer = null;
  return function () {
    var args = arguments, self = this;
    clearTimeout(timer);
    timer = setTimeout(function () { fn.apply(self, args); }, wait);
  };
};

LG.el = function (tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    var value = attrs[key];
    if (value === null || value === undefined || value === false) { return; }
    if (key === "text") { node.textContent = value; }
    else if (key === "html") { node.innerHTML = value; }
    else { node.setAttribute(key, value === true ? "" : value); }
  });
  (children || []).forEach(function (child) {
    if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
  });
  return node;
};

/* Show a preview answer: page images of the PDF, or the HTML approximation with its notice. */
LG.showPreview = function (box, notice, result) {
  box.innerHTML = "";
  notice.hidden = !result.notice;
  notice.textContent = result.notice || "";
  if (result.mode === "pdf") {
    result.pages.forEach(function (src, i) {
      box.appendChild(LG.el("img", {src: src, alt: "预览第 " + (i + 1) + " 页（共 " + result.pages.length + " 页）", "class": "page"}));
    });
  } else {
    var sheet = LG.el("div", {"class": "page html-page"});
    (result.blocks || []).forEach(function (block) {
      if (block.type === "table") {
        var table = LG.el("table");
        block.rows.forEach(function (row) {
          table.appendChild(LG.el("tr", {}, row.map(function (text) { return LG.el("td", {text: text}); })));
        });
        sheet.appendChild(table);
      } else {
        sheet.appendChild(LG.el("p", {text: block.text, "class": "align-" + block.align + (block.bold ? " bold" : "")}));
      }
    });
    box.appendChild(sheet);
  }
  box.setAttribute("data-updated", String(Date.now()));
  box.setAttribute("aria-busy", "false");
};
