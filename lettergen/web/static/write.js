/* 写信: the form of the chosen kind, checks and preview after a pause, 签发. */
"use strict";
(function () {
  var LG = window.LG;
  var page = document.querySelector(".write");
  var form = document.getElementById("letter-form");
  var status = document.getElementById("form-status");
  var previewBox = document.getElementById("preview");
  var notice = document.getElementById("preview-notice");
  var warnings = document.getElementById("warnings");
  var warningList = document.getElementById("warning-list");
  var issued = document.getElementById("issued");
  var issueButton = document.getElementById("issue");
  var kindSelect = document.getElementById("kind");
  var kind = page.getAttribute("data-kind");
  var correct = page.getAttribute("data-correct");
  var api = "/ui/api";
  var round = 0;

  function kindUrl(suffix) { return api + "/kinds/" + encodeURIComponent(kind) + suffix; }

  function listWarnings(items, unplaced) {
    warningList.innerHTML = "";
    unplaced.forEach(function (p) { warningList.appendChild(LG.el("li", {"class": "error", text: p.text || p.message})); });
    items.forEach(function (w) { warningList.appendChild(LG.el("li", {text: w.text || w.message})); });
    warnings.hidden = !warningList.children.length;
  }

  function check() {
    var mine = ++round;
    var data = LG.readForm(form);
    status.textContent = "正在检查…";
    LG.request("POST", kindUrl("/check"), {data: data}).then(function (r) {
      if (mine !== round) { return; }
      if (!r.ok) { status.textContent = (r.body && r.body.detail) || "检查失败"; return; }
      var unplaced = LG.showProblems(form, r.body.problems);
      listWarnings(r.body.warnings || [], unplaced);
      var count = r.body.problems.length;
      var notes = (r.body.warnings || []).length;
      status.textContent = count ? "有 " + count + " 处需要修改，见各字段下方的提示。"
        : notes ? "数据无误；有 " + notes + " 条提示，签发前请看下方。" : "检查通过，可以签发。";
      status.className = "status " + (count ? "bad" : "good");
      if (!count) { preview(mine, data); }
    });
  }

  function preview(mine, data) {
    previewBox.setAttribute("aria-busy", "true");
    var body = {data: data};
    if (correct) { body.corrects = correct; }
    LG.request("POST", kindUrl("/preview"), body).then(function (r) {
      if (mine !== round) { return; }
      if (r.ok) { LG.showPreview(previewBox, notice, r.body); }
      else { previewBox.setAttribute("aria-busy", "false"); }
    });
  }

  var later = LG.debounce(check, 400);
  form.addEventListener("input", later);
  form.addEventListener("change", later);

  function showIssued(body) {
    issued.innerHTML = "";
    issued.appendChild(LG.el("p", {"class": "ok"}, ["已签发，文号：", LG.el("strong", {id: "issued-number", text: body.number})]));
    issued.appendChild(LG.el("p", {}, [
      LG.el("a", {href: body.docx_url, id: "download-docx", text: "下载 .docx"}), " · ",
      LG.el("a", {href: body.pdf_url, id: "download-pdf", text: "下载 PDF"}), " · ",
      LG.el("a", {href: body.view_url, text: "在登记簿中查看"}), " · ",
      LG.el("a", {href: "/ui/write?kind=" + encodeURIComponent(kind), text: "再写一封"})
    ]));
    issued.hidden = false;
    issueButton.disabled = true;
    issued.querySelector("a").focus();
  }

  issueButton.addEventListener("click", function () {
    var reasonInput = document.getElementById("correct-reason");
    var body = {kind: kind, data: LG.readForm(form)};
    if (correct) { body.corrects = correct; body.reason = reasonInput ? reasonInput.value : ""; }
    issueButton.disabled = true;
    status.textContent = "正在签发…";
    LG.request("POST", api + "/letters", body).then(function (r) {
      issueButton.disabled = false;
      if (r.ok) { status.textContent = "签发完成。"; showIssued(r.body); return; }
      var problems = (r.body && r.body.problems) || [];
      var unplaced = LG.showProblems(form, problems);
      listWarnings([], unplaced);
      status.className = "status bad";
      status.textContent = "未签发：" + ((r.body && r.body.detail) || "请求失败（" + r.status + "）");
    });
  });

  if (kindSelect) {
    kindSelect.addEventListener("change", function () {
      window.location.href = "/ui/write?kind=" + encodeURIComponent(kindSelect.value);
    });
  }

  function load(values) {
    return LG.request("GET", kindUrl("/form")).then(function (r) {
      if (!r.ok) { form.textContent = (r.body && r.body.detail) || "无法载入表单"; return; }
      document.getElementById("kind-help").textContent = r.body.description || "";
      LG.buildForm(form, r.body.schema, values || r.body.defaults, r.body.from_settings);
      if (values) { check(); }
    });
  }

  if (correct) {
    LG.request("GET", api + "/letters/" + encodeURIComponent(correct) + "/data").then(function (r) {
      if (!r.ok) { form.textContent = (r.body && r.body.detail) || "无法载入原函数据"; return; }
      kind = r.body.kind;
      load(r.body.data);
    });
  } else {
    load(null);
  }
})();
