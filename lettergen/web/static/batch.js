/* 批量: check the sheet (problems row by row), issue it as a job, follow its progress. */
"use strict";
(function () {
  var LG = window.LG;
  var form = document.getElementById("batch-form");
  var status = document.getElementById("batch-status");
  var problemsBox = document.getElementById("batch-problems");
  var problemRows = document.getElementById("problem-rows");
  var issueBox = document.getElementById("batch-issue");
  var summary = document.getElementById("batch-summary");
  var jobBox = document.getElementById("batch-job");
  var progress = document.getElementById("batch-progress");
  var progressLabel = document.getElementById("progress-label");
  var jobStatus = document.getElementById("job-status");
  var files = document.getElementById("job-files");
  var FILE_LABELS = {"letters.zip": "全部信函（zip）", "combined.pdf": "合并的 PDF", "combined.docx": "合并的 .docx",
                     "manifest.csv": "清单（CSV）", "manifest.json": "清单（JSON）", "errors.csv": "问题清单（CSV）"};

  function upload(extra) {
    var data = new FormData();
    data.append("kind", document.getElementById("batch-kind").value);
    data.append("file", document.getElementById("batch-file").files[0]);
    Object.keys(extra || {}).forEach(function (key) { data.append(key, extra[key]); });
    return data;
  }

  function cell(text) { return LG.el("td", {text: text === null || text === undefined ? "" : String(text)}); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!document.getElementById("batch-file").files.length) { status.textContent = "请先选择表格文件。"; return; }
    status.textContent = "正在检查…";
    issueBox.hidden = true; problemsBox.hidden = true; jobBox.hidden = true;
    LG.request("POST", "/ui/api/batches/check", upload()).then(function (r) {
      if (!r.ok) { status.className = "status bad"; status.textContent = (r.body && r.body.detail) || "检查失败"; return; }
      var b = r.body;
      problemRows.innerHTML = "";
      b.problems.forEach(function (p) {
        problemRows.appendChild(LG.el("tr", {}, [cell(p.row), cell(p.column || p.label), cell(p.value), cell(p.message)]));
      });
      problemsBox.hidden = !b.problems.length;
      status.className = "status " + (b.problems.length ? "bad" : "good");
      status.textContent = "共 " + b.letters + " 封信：有效 " + b.valid + " 封" +
        (b.problems.length ? "，" + b.problems.length + " 处问题见下表。" : "，没有问题。");
      summary.textContent = "有效 " + b.valid + " 封，无效 " + (b.letters - b.valid) + " 封。";
      document.getElementById("issue-valid").disabled = !b.valid;
      document.getElementById("issue-all").disabled = b.valid !== b.letters;
      issueBox.hidden = false;
    });
  });

  function showJob(job) {
    var total = job.total || 0, done = job.done || 0;
    progress.max = Math.max(total, 1);
    progress.value = done;
    progressLabel.textContent = "已完成 " + done + " / " + total;
    var names = {queued: "排队中", running: "签发中", done: "已完成", failed: "失败"};
    jobStatus.textContent = (names[job.status] || job.status) + (job.error ? "：" + job.error.message : "");
    if (job.status === "done" || job.status === "failed") {
      status.textContent = job.status === "done" ? "批量签发完成，结果文件见下方。" : "批量签发未全部完成，见下方说明。";
      var r = job.result || {};
      if (r.issued !== undefined) {
        jobStatus.textContent += "（签发 " + r.issued + " 封，跳过无效 " + r.invalid + " 封）";
      }
      files.innerHTML = "";
      Object.keys(job.links || {}).forEach(function (name) {
        if (!FILE_LABELS[name]) { return; }
        files.appendChild(LG.el("li", {}, [LG.el("a", {href: job.links[name], "data-file": name, text: FILE_LABELS[name] + "：" + name})]));
      });
    }
  }

  function follow(job) {
    jobBox.hidden = false;
    showJob(job);
    var source = new EventSource(job.links.events);
    function update(event) { var state = JSON.parse(event.data); showJob(state); if (event.type === "done") { source.close(); } }
    source.addEventListener("progress", update);
    source.addEventListener("done", update);
    source.onerror = function () {
      source.close();
      LG.request("GET", job.links.self).then(function (r) { if (r.ok) { showJob(r.body); } });
    };
  }

  function issue(skipInvalid) {
    var pdf = document.getElementById("batch-pdf").checked;
    var extra = {skip_invalid: skipInvalid ? "true" : "false", pdf: pdf ? "true" : "false", combine_pdf: pdf ? "true" : "false"};
    issueBox.hidden = true;
    status.className = "status";
    status.textContent = "已提交，正在签发…";
    LG.request("POST", "/batches", upload(extra)).then(function (r) {
      if (!r.ok) { status.className = "status bad"; status.textContent = "未签发：" + ((r.body && r.body.detail) || r.status); issueBox.hidden = false; return; }
      follow(r.body);
    });
  }
  document.getElementById("issue-valid").addEventListener("click", function () { issue(true); });
  document.getElementById("issue-all").addEventListener("click", function () { issue(false); });
})();
