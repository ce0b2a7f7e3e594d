// The projector page: one board pushed by the bot (Server-Sent Events), a countdown computed here from
// the end time, corrected for the offset between this computer's clock and the bot's.
"use strict";
(function () {
  const base = location.pathname.replace(/\/+$/, "");
  const $ = (id) => document.getElementById(id);
  let board = null;
  let offset = 0; // bot's clock minus this computer's clock, in ms
  let source = null;
  let gone = false;

  function text(id, value) { $(id).textContent = value == null ? "" : String(value); }
  function show(id, on) { $(id).hidden = !on; }

  function format(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(r)}` : `${two(m)}:${two(r)}`;
  }

  function left() {
    if (!board || board.remaining_s == null) return null;
    if (board.state === "paused" || !board.ends_at) return board.remaining_s;
    return (Date.parse(board.ends_at) - (Date.now() + offset)) / 1000;
  }

  function list(id, items, build) {
    const ol = $(id);
    ol.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      build(li, item);
      return li;
    }));
  }

  function span(className, value) {
    const s = document.createElement("span");
    s.className = className;
    s.textContent = value == null ? "" : String(value);
    return s;
  }

  function render() {
    const b = board;
    if (!b) return;
    document.body.className = b.state === "finished" || b.state === "stopped" ? "done" : b.state;
    text("course", b.course);
    text("plan", b.plan);
    const label = { scheduled: `Starting at ${b.starts_clock}`, running: "Now", paused: "Paused",
      finished: "Done", stopped: "Done" }[b.state] || "";
    text("state", label);
    text("title", b.title);
    text("text", b.text);
    text("next", b.next_name ? `Next: ${b.next_name}${b.next_clock ? " at " + b.next_clock : ""}` : "");
    const talk = b.slot;
    show("slot", !!talk);
    if (talk) {
      text("slot-paper", talk.paper);
      text("slot-role", talk.role);
      text("slot-presenters", talk.presenters.length ? talk.presenters.join(", ") : "nobody assigned");
      text("slot-slides", talk.slides || "no slides submitted");
      const qr = $("qr");
      if (talk.slides) {
        const src = `${base}/qr.svg?talk=${encodeURIComponent(talk.key)}&v=${encodeURIComponent(talk.slides.length)}-${hash(talk.slides)}`;
        if (qr.getAttribute("src") !== src) qr.setAttribute("src", src);
        qr.hidden = false;
      } else {
        qr.hidden = true;
        qr.removeAttribute("src");
      }
    }
    text("phase-end", talk && b.phase_ends_clock ? `Presentations end at ${b.phase_ends_clock}` : "");
    show("queue-box", b.queue.length > 0);
    list("queue", b.queue, (li, s) => {
      li.append(span("at", s.clock), span("what", `${s.paper} - ${s.role}: ${s.presenters.join(", ") || "nobody assigned"}`));
    });
    list("run-of-show", b.run_of_show, (li, p) => {
      li.className = p.mark;
      li.append(span("at", `${p.start}-${p.end}`), span("what", p.name));
    });
    tick();
  }

  function hash(s) {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return (h >>> 0).toString(36);
  }

  function tick() {
    const b = board;
    if (!b) return;
    let digits = "--:--";
    let warn = false;
    if (b.state === "scheduled") {
      digits = format((Date.parse(b.starts_at) - (Date.now() + offset)) / 1000);
    } else if (b.state === "finished" || b.state === "stopped") {
      digits = "Done";
    } else {
      const seconds = left();
      digits = seconds == null ? "--:--" : format(seconds);
      warn = b.state === "running" && b.warning_s != null && seconds != null && seconds <= b.warning_s && seconds > 0;
    }
    text("countdown", digits);
    document.body.classList.toggle("warning", warn);
    show("warning", warn);
    if (warn) text("warning", `${Math.max(0, Math.ceil(left()))} seconds left`);
  }

  function connected(on) {
    const link = $("link");
    link.className = "link " + (on ? "live" : "down");
    link.textContent = gone ? "session ended" : on ? "live" : "reconnecting...";
  }

  function connect() {
    if (source) source.close();
    source = new EventSource(`${base}/events`);
    source.addEventListener("open", () => connected(true));
    source.addEventListener("state", (e) => {
      const next = JSON.parse(e.data);
      offset = Date.parse(next.now) - Date.now();
      board = next;
      render();
      if (board.state === "finished" || board.state === "stopped") { gone = true; source.close(); connected(false); }
    });
    source.addEventListener("clock", (e) => { offset = Date.parse(JSON.parse(e.data).now) - Date.now(); });
    source.addEventListener("error", () => {
      connected(false);
      if (source.readyState === EventSource.CLOSED && !gone) {
        // The bot answered with an error (or went away for good): ask whether the link still works.
        fetch(`${base}/state`, { cache: "no-store" }).then((r) => {
          if (r.status === 404) {
            gone = true;
            connected(false);
            if (board) {
              board = { ...board, state: "finished", title: "Done", text: "The session is over.", slot: null,
                queue: [], next_name: null };
              render();
            }
            return;
          }
          setTimeout(connect, 1000);
        }).catch(() => setTimeout(connect, 1000));
      }
    });
  }

  setInterval(tick, 200);
  connect();
})();
