// The sandbox console: places what the server drew (already escaped) and sends what a
// person does. No framework and no build step; the server does the thinking.
"use strict";

const view = { channel: null, thread: null, user: "U0ANNA", modal: null, timelineVersion: 0, pending: false, selectAt: 0, saved: {} };
const placed = new WeakMap(); // element → the HTML last put in it
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

async function post(name, body) {
  const form = body instanceof FormData;
  const headers = { "X-Console": "1" };
  if (!form) headers["Content-Type"] = "application/json";
  const response = await fetch("/api/" + name, { method: "POST", headers, body: form ? body : JSON.stringify(body) });
  let answer = {};
  try { answer = await response.json(); } catch (ignored) { answer = {}; }
  refresh();
  if (!response.ok) {
    toast(answer.error || "The console could not do that (HTTP " + response.status + ").");
    throw new Error(answer.error || String(response.status));
  }
  return answer;
}

// Put `html` in `element` only when it changed, keeping a list scrolled to its end there.
// A menu someone has just opened inside is not pulled from under them: the redraw waits
// until it loses focus, or a few seconds at most.
const MENU_GRACE_MS = 4000;
function place(element, html) {
  if (placed.get(element) === html) return;
  const focused = document.activeElement;
  const waited = Date.now() - view.selectAt;
  if (focused && focused.tagName === "SELECT" && element.contains(focused) && waited < MENU_GRACE_MS) {
    view.pending = true;
    setTimeout(refresh, MENU_GRACE_MS - waited + 50);
    return;
  }
  const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
  element.innerHTML = html;
  placed.set(element, html);
  if (atEnd) element.scrollTop = element.scrollHeight;
}

// ---- drawing ---------------------------------------------------------------------------

function drawPhones(phones) {
  const holder = $("#phones");
  const wanted = new Set(phones.map((p) => p.digits));
  $$(".phone", holder).forEach((card) => { if (!wanted.has(card.dataset.phone)) card.remove(); });
  for (const phone of phones) {
    let card = $(`.phone[data-phone="${phone.digits}"]`, holder);
    if (!card) {
      card = $("#phone-template").content.firstElementChild.cloneNode(true);
      card.dataset.phone = phone.digits;
      $(".number", card).textContent = phone.display;
      holder.appendChild(card);
    }
    place($(".phone-log", card), phone.log);
    const survey = $(".phone-survey", card);
    survey.hidden = phone.surveys.length === 0;
    const select = $("select[name=survey]", survey);
    const options = phone.surveys.map((s) => s.id + ":" + s.name).join("|");
    if (select.dataset.options !== options) {
      const chosen = select.value;
      select.replaceChildren(...phone.surveys.map((s) => new Option(s.name, String(s.id))));
      if (chosen) select.value = chosen;
      select.dataset.options = options;
    }
    const current = phone.surveys.find((s) => String(s.id) === select.value) || phone.surveys[0];
    $(".question", survey).textContent = current ? "Survey question: " + current.question : "";
  }
}

function drawSwitches(switches) {
  for (const side of ["mProfi", "Slack"]) {
    const box = side === "mProfi" ? $("#mprofi-switches") : $("#slack-switches");
    for (const item of switches.filter((s) => s.side === side)) {
      let input = $(`input[data-switch="${item.name}"]`, box);
      if (!input) {
        const label = document.createElement("label");
        label.className = "switch";
        input = document.createElement("input");
        input.type = "checkbox";
        input.dataset.switch = item.name;
        const name = document.createElement("span");
        name.textContent = item.label;
        const what = document.createElement("small");
        what.textContent = item.what;
        label.append(input, name, what);
        box.appendChild(label);
      }
      input.checked = item.on;
    }
  }
}

function drawSlack(state) {
  view.channel = state.channel;
  const tabs = $("#channel-tabs");
  if (tabs.childElementCount !== state.channels.length) {
    tabs.replaceChildren(...state.channels.map((c) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.channelTab = c.id;
      button.textContent = "#" + c.name;
      return button;
    }));
  }
  $$("button", tabs).forEach((b) => b.classList.toggle("active", b.dataset.channelTab === state.channel));
  const teammate = $("#teammate");
  if (teammate.options.length !== state.teammates.length) {
    teammate.replaceChildren(...state.teammates.map((t) => new Option(t.name, t.id)));
    teammate.value = view.user;
  }
  const name = state.channels.find((c) => c.id === state.channel).name;
  $("#channel-text").placeholder = `Message #${name}, or a command: /sms 600100200 Dzień dobry · /hlr 600100200 · /survey list · @mprofi-bridge …`;
  place($("#messages"), state.messages);
  place($("#private"), state.private);
  const pane = $("#thread-pane");
  if (state.thread) {
    pane.hidden = false;
    place($("#thread"), state.thread.html);
  } else {
    pane.hidden = true;
    view.thread = null;
  }
  $(".slack-body").classList.toggle("with-thread", !pane.hidden);
  drawModal(state.modal);
}

// A modal the app updated keeps what the person typed in every input it still shows
// (same block and action: Slack's rule), and the cursor where it was.
function drawModal(modal) {
  const layer = $("#modal-layer");
  const holder = $("#modal");
  const before = $("form.modal", holder);
  if (!modal) {
    // Another teammate chosen: their screen has no window; what was typed waits for the way back.
    if (before && view.modal) view.saved[view.modal.view] = modalValues(before);
    holder.replaceChildren();
    layer.hidden = true;
    view.modal = null;
    return;
  }
  if (view.modal && view.modal.key === modal.key) return;
  const kept = before && view.modal && view.modal.view === modal.view ? modalValues(before) : view.saved[modal.view] || null;
  delete view.saved[modal.view];
  const focused = document.activeElement && before && before.contains(document.activeElement) ? document.activeElement : null;
  const focusName = focused ? focused.name : null;
  const caret = focused && typeof focused.selectionStart === "number" ? [focused.selectionStart, focused.selectionEnd] : null;
  holder.innerHTML = modal.html;
  view.modal = modal;
  layer.hidden = false;
  const form = $("form.modal", holder);
  if (kept && form) restoreValues(form, kept);
  if (focusName && form) {
    const again = form.elements.namedItem(focusName);
    if (again && again.focus) {
      again.focus();
      if (caret && typeof again.setSelectionRange === "function") again.setSelectionRange(caret[0], caret[1]);
    }
  }
}

function restoreValues(form, values) {
  for (const field of $$("[name]", form)) {
    if (!(field.name in values) || field.disabled) continue;
    const value = values[field.name];
    if (field.type === "checkbox") field.checked = value.includes(field.value);
    else if (field.type === "radio") field.checked = value === field.value;
    else if (field.multiple) Array.from(field.options).forEach((o) => { o.selected = value.includes(o.value); });
    else if (field.type !== "file") field.value = value;
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function drawTimeline(entries) {
  const body = $("#timeline");
  const scroller = $(".timeline-scroll");
  const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  for (const entry of entries) {
    let row = $(`tr.entry[data-entry="${entry.id}"]`, body);
    if (!row) {
      row = document.createElement("tr");
      row.className = "entry";
      row.dataset.entry = entry.id;
      body.appendChild(row);
    }
    const status = entry.status === null ? "…" : String(entry.status);
    const verdict = entry.status === null ? "" : entry.status >= 400 ? "bad" : "good";
    // The sandbox's people live in Warsaw: the same clock as the channel and the phones.
    const when = new Date(entry.at).toLocaleTimeString("en-GB", { timeZone: "Europe/Warsaw" });
    row.replaceChildren(
      cell(when), cell(entry.source + " → " + entry.target), cell(entry.method), cell(entry.path),
      cell(status, verdict), cell(entry.duration_ms === null ? "" : Math.round(entry.duration_ms)),
    );
  }
  while (body.childElementCount > 600) body.firstElementChild.remove();
  if (atEnd) scroller.scrollTop = scroller.scrollHeight;
}

async function showExchange(row) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("detail")) { next.remove(); return; }
  const response = await fetch("/api/timeline/" + row.dataset.entry);
  const entry = await response.json();
  const tr = document.createElement("tr");
  tr.className = "detail";
  const td = document.createElement("td");
  td.colSpan = 6;
  const parts = [["Request " + (entry.request_type || ""), entry.request_body], ["Response " + (entry.response_type || ""), entry.response_body]];
  if (entry.error) parts.push(["Error", entry.error]);
  for (const [title, text] of parts) {
    const h = document.createElement("h4");
    h.textContent = title;
    const pre = document.createElement("pre");
    pre.textContent = text || "(empty)";
    td.append(h, pre);
  }
  tr.appendChild(td);
  row.after(tr);
}

// ---- keeping up ------------------------------------------------------------------------

let loading = null;
let again = false;

async function load() {
  const asked = { channel: view.channel, thread: view.thread, user: view.user };
  const query = new URLSearchParams({ user: view.user });
  if (view.channel) query.set("channel", view.channel);
  if (view.thread) query.set("thread", view.thread);
  const [state, timeline] = await Promise.all([
    fetch("/api/state?" + query).then((r) => r.json()),
    fetch("/api/timeline?since=" + view.timelineVersion).then((r) => r.json()),
  ]);
  drawPhones(state.phones);
  drawSwitches(state.switches);
  // A person who opened another thread, channel or teammate while this was on its way
  // sees that one: an answer to the old question must not undo their click.
  if (asked.channel === view.channel && asked.thread === view.thread && asked.user === view.user) drawSlack(state);
  else again = true;
  drawTimeline(timeline.entries);
  view.timelineVersion = timeline.version;
  document.body.dataset.version = String(state.version);
}

function refresh() {
  if (loading) { again = true; return loading; }
  loading = load().catch((error) => console.error(error)).finally(() => {
    loading = null;
    if (again) { again = false; refresh(); }
  });
  return loading;
}

function listen() {
  const events = new EventSource("/api/events");
  const live = $("#live");
  events.addEventListener("change", () => refresh());
  events.onopen = () => { live.textContent = "live"; live.classList.remove("off"); };
  events.onerror = () => { live.textContent = "reconnecting…"; live.classList.add("off"); };
}

// ---- what a person does ----------------------------------------------------------------

function modalValues(form) {
  const values = {};
  for (const field of $$("[name]", form)) {
    if (field.disabled) continue;
    if (field.type === "checkbox") {
      values[field.name] = values[field.name] || [];
      if (field.checked) values[field.name].push(field.value);
    } else if (field.type === "radio") {
      if (field.checked) values[field.name] = field.value;
    } else if (field.multiple) {
      values[field.name] = Array.from(field.selectedOptions).map((o) => o.value);
    } else {
      values[field.name] = field.value;
    }
  }
  return values;
}

function onMessage(element) {
  const message = element.closest("[data-msg]");
  if (!message) return null;
  return { user: view.user, channel: message.dataset.channel, ts: message.dataset.ts || null, private: message.dataset.private || null,
    block: element.dataset.block, action: element.dataset.action };
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("button, tr.entry");
  if (!target) return;
  if (target.matches("tr.entry")) { showExchange(target); return; }
  if (target.dataset.openThread) { view.thread = target.dataset.openThread; refresh(); return; }
  if (target.dataset.channelTab) { view.channel = target.dataset.channelTab; view.thread = null; refresh(); return; }
  if (target.id === "close-thread") { view.thread = null; refresh(); return; }
  if (target.classList.contains("remove-phone")) { post("phones/remove", { digits: target.closest(".phone").dataset.phone }).catch(() => {}); return; }
  if (target.dataset.modal === "close") {
    clearTimeout(typing);
    post("modal/close", { view: target.closest("form.modal").dataset.view }).catch(() => {});
    return;
  }
  if (target.dataset.kind === "button") {
    if (target.dataset.url) window.open(target.dataset.url, "_blank", "noopener");
    if (target.dataset.confirm && !window.confirm(target.dataset.confirm)) return;
    const modal = target.closest("form.modal");
    if (modal) {
      post("modal/press", { view: modal.dataset.view, block: target.dataset.block, action: target.dataset.action }).catch(() => {});
      return;
    }
    const action = onMessage(target);
    if (action) post("act", action).catch(() => {});
  }
});

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.dataset.switch) {
    post("switches", { name: target.dataset.switch, on: target.checked }).catch(() => {});
  } else if (target.id === "teammate") {
    view.user = target.value;
    refresh();
  } else if (target.name === "survey") {
    refresh();
  } else if (target.closest("form.modal")) {
    // A choice in an input that dispatches actions tells the app when it is made
    // (text fields tell it as Slack's trigger says: see "input" and "keydown").
    if (target.dataset.dispatch === "1" && !target.dataset.trigger) {
      clearTimeout(typing);
      dispatchFromModal(target);
    }
  } else if (target.matches("select[data-kind]") && target.value) {
    const action = onMessage(target);
    target.blur(); // the pane may redraw now: the choice is made
    if (action) post("act", { ...action, value: target.value }).catch(() => {});
  }
});

// An input that dispatches actions tells the app when Slack would: as characters are
// typed (after a pause), or when Enter is pressed (the default).
function dispatchFromModal(field) {
  const form = field.closest("form.modal");
  post("modal/type", { view: form.dataset.view, values: modalValues(form), block: field.dataset.block, action: field.dataset.action }).catch(() => {});
}

let typing = null;
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!field.closest("form.modal") || field.dataset.dispatch !== "1") return;
  if (!(field.dataset.trigger || "").includes("on_character_entered")) return;
  clearTimeout(typing);
  typing = setTimeout(() => dispatchFromModal(field), 400);
});

document.addEventListener("focusout", () => {
  if (view.pending) { view.pending = false; setTimeout(refresh, 0); }
});

document.addEventListener("focusin", (event) => {
  if (event.target.tagName === "SELECT") view.selectAt = Date.now();
});

// One sending at a time per form: a second Enter or click while the first is on its
// way sends nothing (the same SMS twice would cost twice).
async function sent(form, action) {
  if (form.dataset.busy) return false;
  form.dataset.busy = "1";
  const button = $("button[type=submit]", form);
  if (button) button.disabled = true;
  try {
    await action();
    return true;
  } catch (ignored) {
    return false;
  } finally {
    delete form.dataset.busy;
    if (button) button.disabled = false;
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  event.preventDefault();
  if (form.id === "add-phone") {
    if (await sent(form, () => post("phones/add", { number: $("#new-phone").value }))) form.reset();
  } else if (form.classList.contains("phone-compose")) {
    const data = new FormData(form);
    data.set("digits", form.closest(".phone").dataset.phone);
    if (await sent(form, () => post("phones/text", data))) { form.text.value = ""; form.image.value = ""; }
  } else if (form.classList.contains("phone-survey")) {
    const body = { digits: form.closest(".phone").dataset.phone, survey: form.survey.value, answer: form.answer.value };
    if (await sent(form, () => post("phones/survey", body))) form.answer.value = "";
  } else if (form.id === "channel-compose" || form.id === "thread-compose") {
    const thread = form.id === "thread-compose";
    const text = thread ? $("#thread-text") : $("#channel-text");
    const file = thread ? $("#thread-file") : $("#channel-file");
    const data = new FormData();
    data.set("user", view.user);
    data.set("channel", view.channel);
    data.set("text", text.value);
    if (thread && view.thread) data.set("thread", view.thread);
    if (file.files.length) data.set("file", file.files[0]);
    if (await sent(form, () => post("say", data))) { text.value = ""; file.value = ""; }
  } else if (form.matches("form.modal")) {
    clearTimeout(typing);
    await sent(form, () => post("modal/submit", { view: form.dataset.view, values: modalValues(form) }));
  }
});

document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  // Enter sends, Shift+Enter breaks the line: as in Slack's composer.
  if (field.tagName === "TEXTAREA" && field.closest(".compose")) {
    event.preventDefault();
    field.closest("form").requestSubmit();
    return;
  }
  // In a modal, Enter never submits the form (Slack's neither): it tells the app when
  // the input asks for that, and otherwise does nothing.
  if (field.tagName === "INPUT" && field.closest("form.modal")) {
    event.preventDefault();
    if (field.dataset.dispatch === "1" && (field.dataset.trigger || "on_enter_pressed").includes("on_enter_pressed")) dispatchFromModal(field);
  }
});

listen();
refresh();
