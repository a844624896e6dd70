// imgpipe workbench: uploads, fixes by pointing, live job progress. Plain JS, no build step.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const jobLine = document.getElementById("job");
  const page = document.getElementById("article");
  const article = page ? page.dataset.article : null;
  const waiting = new Set();   // job ids this page started and reloads after
  const sidecar = page ? JSON.parse(page.dataset.sidecar) : null;   // the article's article.toml, as last saved

  function say(text, bad) { jobLine.textContent = text; jobLine.style.color = bad ? "#ff8a8a" : ""; }
  function fill(text, fields) { return text.replace(/\{(\w+)\}/g, (_, k) => (k in fields ? fields[k] : "")); }

  async function post(url, data) {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data) });
    const body = await res.json().catch(() => ({ ok: false, message: res.statusText }));
    if (!res.ok || !body.ok) { say((body.message || res.statusText) + (body.fix ? " — " + body.fix : ""), true); return null; }
    if (body.job) { waiting.add(body.job); say(T.saved); }
    else if (body.queued) say(T.queued);   // on disk; applies when the CLI run holding the workspace ends
    if (body.sidecar && sidecar) {  // successive clicks build on this change before the page reloads
      Object.assign(sidecar, body.sidecar);
      const order = document.getElementById("main-order");
      if (order && sidecar.main.length) order.textContent = sidecar.main.join(", ");
    }
    return body;
  }

  // --- live progress (server-sent events) ---
  const events = new EventSource("/events");
  events.onmessage = (msg) => {
    const e = JSON.parse(msg.data);
    const mine = waiting.has(e.job) || (e.article && e.article === article) || !article;
    if (!mine) return;
    if (e.type === "progress") say(fill(T.progress, { article: e.article || "inbox", stage: T["stage_" + e.stage] || e.stage, done: e.done, total: e.total }));
    else if (e.type === "started") say(fill(T.started, { article: e.article || "inbox" }));
    else if (e.type === "error") { say(e.message + (e.fix ? " — " + e.fix : ""), true); waiting.delete(e.job); }
    else if (e.type === "done" && e.queued) { say(T.queued); waiting.delete(e.job); }
    else if (e.type === "done") {
      say(fill(T.done, { article: e.article || "inbox", written: e.written || 0 }));
      if (waiting.has(e.job) || !article || e.article === article) { waiting.delete(e.job); setTimeout(() => location.reload(), 150); }
    }
  };

  // --- drop photos (files or folders) ---
  async function filesOf(dt) {
    const entries = [...(dt.items || [])].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (!entries.length) return [...dt.files];
    const out = [];
    async function walk(entry) {
      if (entry.isFile) out.push(await new Promise((ok, ko) => entry.file(ok, ko)));
      else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((ok, ko) => reader.readEntries(ok, ko));
          if (!batch.length) break;
          for (const child of batch) await walk(child);
        }
      }
    }
    for (const e of entries) await walk(e);
    return out;
  }

  function upload(zone, files) {
    if (!files.length) return;
    const form = new FormData();
    form.append("article", zone.dataset.article || "");
    for (const f of files) form.append("photos", f, f.name);
    const bar = zone.querySelector("progress"), msg = zone.querySelector(".upload-msg");
    bar.hidden = false; bar.value = 0;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/upload");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { message: xhr.statusText }; }
      bar.value = 100;
      const refused = (body.refused || []).map((r) => r.file + ": " + r.message + (r.fix ? " — " + r.fix : ""));
      msg.textContent = fill(T.uploaded, { count: (body.stored || []).length }) + (refused.length ? " " + refused.join("; ") : "");
      msg.className = "upload-msg" + (refused.length || body.message ? " bad" : "");
      if (body.message && !body.stored) msg.textContent = body.message;
      if (body.job) waiting.add(body.job);
    };
    xhr.onerror = () => { msg.textContent = T.upload_failed; msg.className = "upload-msg bad"; };
    xhr.send(form);
  }

  document.querySelectorAll(".dropzone").forEach((zone) => {
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (e) => { e.preventDefault(); zone.classList.remove("over"); upload(zone, await filesOf(e.dataTransfer)); });
    zone.querySelector("input[type=file]").addEventListener("change", (e) => upload(zone, [...e.target.files]));
  });

  // --- who is acting: a name kept in this browser (cookie), sent with every request ---
  const who = document.getElementById("who");
  const whoCookie = (document.cookie.split("; ").find((c) => c.startsWith("imgpipe_who=")) || "").slice(12);
  function showWho(name) {
    who.hidden = false;
    who.querySelector(".who-name").hidden = !name;
    who.querySelector(".who-ask").hidden = !!name;
    document.getElementById("who-name").textContent = name;
  }
  if (who) {
    let name = "";
    try { name = decodeURIComponent(whoCookie); } catch (err) { name = ""; }
    showWho(name);
    who.addEventListener("submit", (e) => {
      e.preventDefault();
      const given = document.getElementById("who-input").value.trim().replace(/\s+/g, " ").slice(0, 40);
      if (!given) return;
      document.cookie = "imgpipe_who=" + encodeURIComponent(given) + "; path=/; max-age=31536000; SameSite=Strict";
      showWho(given);
    });
    document.getElementById("who-change").addEventListener("click", () => showWho(""));
  }

  const validate = document.getElementById("validate-btn");
  if (validate) validate.addEventListener("click", () => { validate.disabled = true; post("/reports/run", {}); });

  if (!page) return;

  // --- fix by pointing ---
  let selected = null;
  const label = document.getElementById("selected-label");
  document.querySelectorAll("figure.photo.kind-photo").forEach((fig) => {
    fig.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fig.click(); } });
    fig.addEventListener("click", () => {
      document.querySelectorAll("figure.photo.selected").forEach((f) => f.classList.remove("selected"));
      fig.classList.add("selected");
      selected = fig;
      if (label) label.textContent = fill(T.selected, { seq: String(fig.dataset.seq).padStart(2, "0") });
    });
  });
  const url = "/a/" + encodeURIComponent(article);
  // colour before/after: swap the strip between the originals and their corrected detail images
  const toggle = document.getElementById("toggle-after");
  if (toggle) toggle.addEventListener("click", () => {
    const showAfter = toggle.classList.toggle("on");
    document.querySelectorAll("#strip img[data-after]").forEach((img) => {
      if (!img.dataset.before) img.dataset.before = img.src;
      img.src = showAfter ? img.dataset.after : img.dataset.before;
    });
    toggle.textContent = showAfter ? toggle.dataset.before : toggle.dataset.after;
  });
  const autoMain = (document.querySelector(".main-order") || { dataset: { auto: "" } }).dataset.auto
    .split(",").filter(Boolean).map(Number);
  function mainNow() { return (sidecar.main.length ? sidecar.main : autoMain).slice(); }
  function setMain(seqs) { if (seqs.length) post(url + "/fix", { action: "main", seqs: seqs }); }
  function need() { if (!selected) { say(T.select_first, true); return null; } return Number(selected.dataset.seq); }
  const actions = {
    "main-add": () => { const s = need(); if (s) setMain(mainNow().filter((x) => x !== s).concat([s])); },
    "main-remove": () => { const s = need(); if (s) setMain(mainNow().filter((x) => x !== s)); },
    "main-up": () => {
      const s = need(), order = mainNow(), i = order.indexOf(s);
      if (s && i > 0) { [order[i - 1], order[i]] = [order[i], order[i - 1]]; setMain(order); }
    },
    "main-clear": () => post(url + "/fix", { action: "main", seqs: [] }),
    white: () => { const s = need(); if (s) post(url + "/fix", { action: "white", seq: s }); },
    large: () => { const s = need(); if (s) post(url + "/fix", { action: "large", seq: s }); },
    skip: () => { const s = need(); if (s) post(url + "/fix", { action: "skip", seq: s, on: !sidecar.skip.includes(s) }); },
    sku: () => { const s = need(); if (s) post(url + "/fix", { action: "sku", seq: s, colour: document.getElementById("colour").value }); },
    selling_point: () => { const s = need(); if (s) post(url + "/fix", { action: "selling_point", seq: s, index: Number(document.getElementById("selling-point").value) }); },
    crop: () => { if (need()) openCrop(); },
  };
  document.querySelectorAll("#tools [data-act]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.act]()));

  // --- crop box: drag on the photo; saved as shares (0..1) of the upright photo ---
  const editor = document.getElementById("crop-editor");
  let box = null;
  function openCrop() {
    const img = document.getElementById("crop-img"), rect = document.getElementById("crop-box");
    img.src = selected.dataset.src;
    editor.hidden = false; rect.hidden = true; box = null;
    document.getElementById("crop-save").disabled = true;
    // this selling point's crop on this photo, as saved: shown so it can be redrawn
    const point = sidecar.selling_points[Number(document.getElementById("selling-point").value) - 1];
    if (point && point.photo === Number(selected.dataset.seq) && point.crop.length === 4) showBox(point.crop);
  }
  function showBox(b) {
    const rect = document.getElementById("crop-box");
    box = b;
    rect.hidden = false;
    rect.style.left = b[0] * 100 + "%"; rect.style.top = b[1] * 100 + "%";
    rect.style.width = (b[2] - b[0]) * 100 + "%"; rect.style.height = (b[3] - b[1]) * 100 + "%";
  }
  if (editor) {
    const img = document.getElementById("crop-img");
    let start = null;
    const at = (e) => { const r = img.getBoundingClientRect();
      return [Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1), Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1)]; };
    img.addEventListener("mousedown", (e) => { e.preventDefault(); start = at(e); });
    window.addEventListener("mousemove", (e) => {
      if (!start) return;
      const p = at(e);
      showBox([Math.min(start[0], p[0]), Math.min(start[1], p[1]), Math.max(start[0], p[0]), Math.max(start[1], p[1])]);
    });
    window.addEventListener("mouseup", () => {
      if (!start) return;
      start = null;
      const ok = box && box[2] - box[0] > 0.02 && box[3] - box[1] > 0.02;
      document.getElementById("crop-save").disabled = !ok;
    });
    document.getElementById("crop-save").addEventListener("click", () => {
      const s = need();
      if (s && box) post(url + "/fix", { action: "selling_point", seq: s, index: Number(document.getElementById("selling-point").value),
        crop: box.map((v) => Math.round(v * 10000) / 10000) });
    });
    document.getElementById("crop-cancel").addEventListener("click", () => { editor.hidden = true; });
  }

  // --- sold out / restock / listed / check ---
  document.querySelectorAll(".soldout-btn").forEach((b) => b.addEventListener("click", () => {
    b.disabled = true;
    post(url + "/soldout", { colour: b.dataset.colour, size: b.dataset.size, sold_out: b.dataset.on === "true" });
  }));
  document.querySelectorAll(".listed-btn").forEach((b) => b.addEventListener("click", async () => {
    if (await post(url + "/listed", { platforms: [b.dataset.platform], force: b.dataset.force === "true" })) location.reload();
  }));
  // --- operations review: approve, send back, listing package ---
  document.querySelectorAll(".approve-btn").forEach((b) => b.addEventListener("click", async () => {
    const res = await fetch(url + "/review", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ platform: b.dataset.platform, approve: true }) });
    const body = await res.json().catch(() => ({ ok: false, message: res.statusText }));
    if (res.ok && body.ok) { location.reload(); return; }
    const said = (body.message || res.statusText) + (body.fix ? " — " + body.fix : "");
    say(said, true);
    // refused for the validation's errors: said in the card too, and approving anyway takes a reason,
    // as `review --force --reason` does
    if (body.can_force) {
      const box = b.closest(".rv"), why = box.querySelector(".refusal"), row = box.querySelector(".force-row");
      why.textContent = said; why.hidden = false; row.hidden = false; row.querySelector("input").focus();
    }
  }));
  document.querySelectorAll(".force-btn").forEach((b) => b.addEventListener("click", async () => {
    const reason = b.closest(".rv").querySelector(".force-reason").value.trim();
    if (await post(url + "/review", { platform: b.dataset.platform, approve: true, force: true, reason: reason })) location.reload();
  }));
  document.querySelectorAll(".sendback-btn").forEach((b) => b.addEventListener("click", async () => {
    const box = b.closest(".rv");
    const note = box.querySelector(".sendback-note").value.trim();
    if (await post(url + "/review", { platform: b.dataset.platform, approve: false, note: note,
      image: box.querySelector(".sendback-image").value })) location.reload();
  }));
  document.querySelectorAll(".export-btn").forEach((b) => b.addEventListener("click", async () => {
    const res = await fetch(url + "/export", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ platform: b.dataset.platform, force: b.dataset.force === "true" }) });
    if (!res.ok) { const body = await res.json().catch(() => ({ message: res.statusText })); say(body.message + (body.fix ? " — " + body.fix : ""), true); return; }
    const disposition = res.headers.get("Content-Disposition") || "";
    const named = disposition.match(/filename\*=utf-8''([^;]+)/i) || disposition.match(/filename="([^"]+)"/);
    const name = named ? decodeURIComponent(named[1]) : "package.zip";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await res.blob());
    link.download = name;
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => location.reload(), 300);
  }));
  const check = document.getElementById("check-btn");
  if (check) check.addEventListener("click", () => post(url + "/check", {}));
})();

// cut-out images on magenta instead of the checkerboard (article page, white/transparent groups)
document.querySelectorAll(".js-magenta").forEach((box) => {
  box.addEventListener("change", () => {
    box.closest(".role").querySelector(".grid.cut").classList.toggle("magenta", box.checked);
  });
});
