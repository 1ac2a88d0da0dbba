/* 写信: build a form from a kind's JSON Schema, read it back, show the server's problems.
 *
 * Every input carries data-path, the field's path as the server names it in
 * problems ("items.0.amount"), so a message lands beside its field.  Lists
 * of objects become repeating rows with add/remove buttons.
 */
"use strict";
(function () {
  var LG = window.LG;
  var uid = 0;

  function idFor(path) { uid += 1; return "f-" + path.replace(/[^A-Za-z0-9_]/g, "-") + "-" + uid; }

  function choicesOf(schema) {
    var labels = schema["x-choices"] || {};
    var keys = Object.keys(labels);
    if (!keys.length && schema["enum"]) { keys = schema["enum"]; }
    return keys.map(function (key) { return [key, labels[key] || key]; });
  }

  function kindOf(schema) {
    var t = schema.type;
    if (t === "object") { return "object"; }
    if (t === "array") { return "array"; }
    if (schema["x-choices"] || schema["enum"]) { return "choice"; }
    if (schema.format === "date") { return "date"; }
    if (Array.isArray(t) && t.indexOf("boolean") >= 0) { return "boolean"; }
    if (Array.isArray(t) && t.indexOf("number") >= 0) { return "money"; }
    if (t === "integer") { return "integer"; }
    if (schema["x-multiline"] || (schema.maxLength || 0) >= 1000) { return "text"; }
    return "string";
  }

  function errorSlot(id) {
    return LG.el("p", {id: id + "-err", "class": "field-error", "aria-live": "polite"});
  }

  function scalarField(schema, path, value, required) {
    var id = idFor(path), kind = kindOf(schema), input;
    var label = LG.el("label", {"for": id}, [schema.title || path.split(".").pop()]);
    if (required) { label.appendChild(LG.el("span", {"class": "req", "aria-hidden": "true", text: " *"})); }
    if (kind === "choice" || kind === "boolean") {
      input = LG.el("select", {id: id});
      var options = kind === "boolean" ? [["是", "是"], ["否", "否"]] : choicesOf(schema);
      if (!required || schema["default"] === undefined) { input.appendChild(LG.el("option", {value: "", text: "（请选择）"})); }
      options.forEach(function (o) { input.appendChild(LG.el("option", {value: o[0], text: o[1]})); });
    } else if (kind === "text") {
      input = LG.el("textarea", {id: id, rows: "4"});
    } else {
      input = LG.el("input", {id: id, type: kind === "date" ? "date" : "text"});
      if (kind === "money") { input.setAttribute("inputmode", "decimal"); input.setAttribute("placeholder", "12,345.67"); }
      if (kind === "integer") { input.setAttribute("inputmode", "numeric"); }
    }
    input.setAttribute("data-path", path);
    input.setAttribute("name", path);
    if (required) { input.setAttribute("aria-required", "true"); }
    var described = [id + "-err"];
    var help = null;
    if (schema.description) {
      help = LG.el("p", {id: id + "-help", "class": "help", text: schema.description});
      described.unshift(id + "-help");
    }
    input.setAttribute("aria-describedby", described.join(" "));
    if (value === undefined || value === null) { value = schema["default"]; }
    if (value !== undefined && value !== null) {
      input.value = typeof value === "boolean" ? (value ? "是" : "否") : String(value);
    }
    return LG.el("div", {"class": "field field-" + kind}, [label, input, help, errorSlot(id)]);
  }

  function objectFields(schema, path, value, container) {
    var required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      var child = schema.properties[name];
      var childPath = path ? path + "." + name : name;
      container.appendChild(field(child, childPath, (value || {})[name], required.indexOf(name) >= 0));
    });
  }

  function field(schema, path, value, required) {
    var kind = kindOf(schema);
    if (kind === "object") {
      var box = LG.el("fieldset", {"class": "group", "data-path": path}, [LG.el("legend", {text: schema.title || path})]);
      objectFields(schema, path, value, box);
      box.appendChild(errorSlot(idFor(path)));
      return box;
    }
    if (kind === "array") { return arrayField(schema, path, value, required); }
    return scalarField(schema, path, value, required);
  }

  function arrayField(schema, path, values, required) {
    var title = schema.title || path;
    var legend = LG.el("legend", {text: title + (required ? " *" : "")});
    var list = LG.el("div", {"class": "rows"});
    var box = LG.el("fieldset", {"class": "group list", "data-path": path}, [legend, list]);
    var errId = idFor(path);
    var add = LG.el("button", {type: "button", "class": "add-row", text: "添加" + ((schema.items || {}).title || "一项")});
    box.appendChild(add);
    box.appendChild(errorSlot(errId));

    function render(rows) {
      list.innerHTML = "";
      rows.forEach(function (row, i) {
        var rowPath = path + "." + i;
        var item = LG.el("fieldset", {"class": "row", "data-path": rowPath},
                         [LG.el("legend", {text: title + " 第" + (i + 1) + "项"})]);
        if ((schema.items || {}).type === "object") { objectFields(schema.items, rowPath, row, item); }
        else { item.appendChild(scalarField(schema.items || {}, rowPath, row, true)); }
        var remove = LG.el("button", {type: "button", "class": "remove-row", text: "删除第" + (i + 1) + "项"});
        remove.addEventListener("click", function () {
          var current = LG.readList(list, path);
          current.splice(i, 1);
          render(current);
          box.dispatchEvent(new Event("input", {bubbles: true}));
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }
    add.addEventListener("click", function () {
      var current = LG.readList(list, path);
      current.push((schema.items || {}).type === "object" ? {} : "");
      render(current);
      var inputs = list.querySelectorAll("fieldset.row:last-child [data-path]");
      if (inputs.length) { inputs[0].focus(); }
      box.dispatchEvent(new Event("input", {bubbles: true}));
    });
    var initial = Array.isArray(values) ? values : [];
    if (!initial.length && required) { initial = [(schema.items || {}).type === "object" ? {} : ""]; }
    render(initial);
    return box;
  }

  /* The form's data as nested objects and lists; empty inputs are left out. */
  function read(root) {
    var data = {};
    root.querySelectorAll("input[data-path], select[data-path], textarea[data-path]").forEach(function (input) {
      var steps = input.getAttribute("data-path").split(".");
      var node = data;
      for (var i = 0; i < steps.length - 1; i++) {
        var key = steps[i], nextIsIndex = /^\d+$/.test(steps[i + 1]);
        if (node[key] === undefined) { node[key] = nextIsIndex ? [] : {}; }
        node = node[key];
      }
      var last = steps[steps.length - 1];
      var value = input.value.trim();
      if (value !== "") { node[last] = value; }
      else if (/^\d+$/.test(last)) { node[last] = ""; }
    });
    root.querySelectorAll("fieldset.list").forEach(function (box) {  // keep list rows dense
      var steps = box.getAttribute("data-path").split("."), node = data;
      steps.slice(0, -1).forEach(function (s) { node = node ? node[s] : undefined; });
      var key = steps[steps.length - 1];
      if (node && Array.isArray(node[key])) {
        node[key] = node[key].filter(function (v) { return v !== undefined; });
        if (!node[key].length) { delete node[key]; }
      }
    });
    return data;
  }

  LG.readList = function (list, path) {
    var all = read(list), node = all;
    path.split(".").forEach(function (s) { node = node ? node[s] : undefined; });
    return Array.isArray(node) ? node : [];
  };

  /* The form; groups filled from the settings (fromSettings: sender, contact …) come last, folded. */
  LG.buildForm = function (root, schema, defaults, fromSettings) {
    root.innerHTML = "";
    var folded = (fromSettings || []).filter(function (name) { return (schema.properties || {})[name]; });
    var own = {properties: {}, required: schema.required || []};
    var settled = {properties: {}, required: schema.required || []};
    Object.keys(schema.properties || {}).forEach(function (name) {
      (folded.indexOf(name) >= 0 ? settled : own).properties[name] = schema.properties[name];
    });
    objectFields(own, "", defaults || {}, root);
    if (folded.length) {
      var titles = folded.map(function (name) { return schema.properties[name].title || name; });
      var box = LG.el("details", {"class": "defaults"}, [LG.el("summary", {text: titles.join("、") + "（来自设置，可修改）"})]);
      objectFields(settled, "", defaults || {}, box);
      root.appendChild(box);
    }
  };

  LG.readForm = read;

  /* Put each problem beside its field (or its group); returns those that found no place. */
  LG.showProblems = function (root, problems) {
    root.querySelectorAll(".field-error").forEach(function (slot) { slot.textContent = ""; });
    root.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var unplaced = [];
    (problems || []).forEach(function (p) {
      var target = p.path ? root.querySelector('[data-path="' + CSS.escape(p.path) + '"]') : null;
      if (!target) { unplaced.push(p); return; }
      var slot = target.tagName === "FIELDSET" ? target.querySelector(":scope > .field-error")
        : target.parentNode.querySelector(".field-error");
      if (target.tagName !== "FIELDSET") { target.setAttribute("aria-invalid", "true"); }
      var folded = target.closest("details");
      if (folded) { folded.open = true; }
      if (slot) { slot.textContent = (slot.textContent ? slot.textContent + "；" : "") + p.message; }
      else { unplaced.push(p); }
    });
    return unplaced;
  };
})();
