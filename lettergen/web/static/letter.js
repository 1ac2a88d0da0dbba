/* 登记簿 · one letter: load the preview of the issued file. */
"use strict";
(function () {
  var box = document.getElementById("preview");
  if (!box) { return; }
  LG.request("GET", box.getAttribute("data-src")).then(function (r) {
    if (r.ok) { LG.showPreview(box, document.getElementById("preview-notice"), r.body); }
    else { box.textContent = (r.body && r.body.detail) || "无法生成预览"; }
  });
})();
