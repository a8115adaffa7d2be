// The transformer view: a tiny transformer trained live, every attention weight drawn as it
// learns. Sent after player.js (its helpers and `Player`), as one module; every number comes from
// the server (playground/zoo/sequence/frames.py), this file lays out, looks colours up and draws.
//   data: {seq, playing, code_id, scene_id, scene?, curve?, pause_on?, frames: [frame, ...]}
// Triggers back: pull (seq), need (scene_id), pick {index} (a gallery entry clicked).
// Tabs: Attention (a map per block and head, query rows × key columns; weights or the scores
// before the softmax; a temperature for the view; a query's weights in words and on the input),
// Embeddings (the positional table, the token embeddings in 2-D), Outputs (the distribution at
// each position, or predicted vs target numbers).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

// One rule a line, by region; .nnp-tfm scopes every rule (the CNN view's sheet may be on the page).
const CSS = `
.nnp-tfm { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b);
--nnp-mono: "Source Code Pro", ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.nnp-tfm * { box-sizing: border-box; }
.nnp-tfm canvas { display: block; }
.nnp-tfm canvas[hidden] { display: none; }
.nnp-tfm .nnp-status { display: flex; flex-wrap: nowrap; gap: 1.2em; align-items: baseline; height: 34px; line-height: 1.3; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-tfm .nnp-epoch { font-size: 1.45rem; font-weight: 600; min-width: 6.5em; }
.nnp-tfm .nnp-metrics { font-size: 0.95rem; }
.nnp-tfm .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-tfm .nnp-arch { display: flex; gap: 14px; margin: 4px 0 10px; }
.nnp-tfm .nnp-box { position: relative; flex: 1 1 0; min-width: 0; padding: 3px 6px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); line-height: 15px; font-size: 12px; }
.nnp-tfm .nnp-box + .nnp-box::before { content: "›"; position: absolute; left: -11px; top: 50%; transform: translateY(-50%); opacity: 0.6; font-size: 14px; }
.nnp-tfm .nnp-box b { display: block; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-tfm .nnp-box span { display: block; opacity: 0.8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-tfm .nnp-box.blk { flex-grow: 1.3; }
.nnp-tfm .nnp-body { display: flex; gap: 14px; align-items: flex-start; }
.nnp-tfm .nnp-main { flex: none; min-width: 0; }
.nnp-tfm .nnp-left, .nnp-tfm .nnp-right { flex: none; overflow: hidden; }
.nnp-tfm .nnp-right { display: flex; flex-direction: column; }
.nnp-tfm .nnp-sub { font-size: 12px; font-weight: 600; line-height: 16px; height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-tfm .nnp-sub i, .nnp-tfm .nnp-line i { font-weight: 400; font-style: normal; opacity: 0.75; }
.nnp-tfm .nnp-gallery { display: flex; flex-direction: column; gap: 3px; }
.nnp-tfm .nnp-gitem { font-family: var(--nnp-mono); font-size: 12px; padding: 0 6px; border: 1px solid var(--nnp-line); border-radius: 4px; cursor: pointer; white-space: pre; overflow: hidden; text-overflow: ellipsis; background: var(--nnp-panel); }
.nnp-tfm .nnp-gitem:hover { border-color: var(--nnp-accent); }
.nnp-tfm .nnp-gitem.on { outline: 2px solid var(--nnp-accent); outline-offset: -1px; }
.nnp-tfm .nnp-gitem.want { outline: 2px dashed var(--nnp-accent); outline-offset: -1px; }
.nnp-tfm .nnp-about { font-size: 12px; line-height: 15px; margin-top: 8px; opacity: 0.8; overflow: hidden; }
.nnp-tfm .nnp-about b { font-weight: 600; }
.nnp-tfm .nnp-tabs { display: flex; gap: 6px; height: 32px; align-items: flex-start; white-space: nowrap; }
.nnp-tfm .nnp-btn, .nnp-tfm .nnp-tab { font: inherit; font-size: 12px; line-height: 1; padding: 5px 9px; border-radius: 6px; cursor: pointer; border: 1px solid var(--nnp-line); background: var(--nnp-panel); color: inherit; }
.nnp-tfm .nnp-btn:hover, .nnp-tfm .nnp-tab:hover, .nnp-tfm .nnp-btn.on, .nnp-tfm .nnp-tab.on { border-color: var(--nnp-accent); }
.nnp-tfm .nnp-btn.on, .nnp-tfm .nnp-tab.on { font-weight: 600; }
.nnp-tfm .nnp-ctl { margin-left: auto; display: flex; gap: 10px; align-items: center; font-size: 12px; height: 24px; }
.nnp-tfm .nnp-seg { display: flex; }
.nnp-tfm .nnp-seg .nnp-btn { border-radius: 0; padding: 5px 8px; }
.nnp-tfm .nnp-seg .nnp-btn:first-child { border-radius: 6px 0 0 6px; }
.nnp-tfm .nnp-seg .nnp-btn:last-child { border-radius: 0 6px 6px 0; margin-left: -1px; }
.nnp-tfm .nnp-temp { display: flex; gap: 5px; align-items: center; }
.nnp-tfm .nnp-temp input { width: 96px; margin: 0; accent-color: var(--nnp-accent); }
.nnp-tfm .nnp-temp.off { opacity: 0.45; }
.nnp-tfm .nnp-tval { min-width: 3.2em; font-variant-numeric: tabular-nums; }
.nnp-tfm .nnp-pane { position: relative; overflow: hidden; }
.nnp-tfm .nnp-strip { display: flex; align-items: center; height: 30px; gap: 0; }
.nnp-tfm .nnp-slab { flex: none; font-size: 12px; opacity: 0.75; padding-right: 6px; white-space: nowrap; }
.nnp-tfm .nnp-tok { position: relative; flex: none; height: 24px; line-height: 22px; text-align: center; font-family: var(--nnp-mono); font-size: 13px; border: 1px solid var(--nnp-line); margin-right: -1px; cursor: pointer; white-space: pre; overflow: hidden; background: var(--nnp-panel); }
.nnp-tfm .nnp-tok:hover { border-color: var(--nnp-accent); z-index: 1; }
.nnp-tfm .nnp-tok.q { outline: 2px solid var(--nnp-accent); outline-offset: -1px; z-index: 2; font-weight: 700; }
.nnp-tfm .nnp-tok i { position: absolute; left: 15%; right: 15%; background: currentColor; opacity: 0.55; }
.nnp-tfm .nnp-snote { font-size: 11px; opacity: 0.7; padding-left: 6px; white-space: nowrap; }
.nnp-tfm .nnp-line { font-size: 12px; line-height: 18px; height: 20px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-tfm .nnp-line b { font-weight: 600; }
.nnp-tfm .nnp-amaps { position: relative; margin-top: 2px; }
.nnp-tfm .nnp-amaps canvas.m { position: absolute; image-rendering: pixelated; cursor: pointer; }
.nnp-tfm .nnp-amaps canvas.ov { position: absolute; left: 0; top: 0; pointer-events: none; }
.nnp-tfm .nnp-cap { position: absolute; font-size: 12px; line-height: 14px; height: 15px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; cursor: pointer; }
.nnp-tfm .nnp-cap.sel { font-weight: 700; color: var(--nnp-accent); }
.nnp-tfm .nnp-cap.best::after { content: " ★"; }
.nnp-tfm .nnp-two { display: flex; gap: 18px; align-items: flex-start; }
.nnp-tfm .nnp-note { font-size: 12px; line-height: 17px; opacity: 0.8; max-width: 30em; margin-top: 8px; }
.nnp-tfm .nnp-chosen { flex: none; font-size: 12px; line-height: 16px; margin: 6px 0 8px; }
.nnp-tfm .nnp-cline { display: flex; gap: 6px; white-space: nowrap; }
.nnp-tfm .nnp-cline > span:first-child { flex: none; width: 3.6em; opacity: 0.75; }
.nnp-tfm .nnp-cline .nnp-seq { font-family: var(--nnp-mono); white-space: pre; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.nnp-tfm .nnp-seq .bad { color: var(--nnp-accent); font-weight: 700; }
.nnp-tfm .nnp-sample { flex: 1 1 0; min-height: 40px; display: flex; flex-direction: column; border: 1px solid var(--nnp-line); border-radius: 6px; padding: 4px 7px; overflow: hidden; background: var(--nnp-panel); }
.nnp-tfm .nnp-sample[hidden] { display: none; }
.nnp-tfm .nnp-stext { flex: 1 1 0; min-height: 0; font-family: var(--nnp-mono); font-size: 11.5px; line-height: 15px; white-space: pre-wrap; word-break: break-all; overflow: hidden; }
.nnp-tfm .nnp-stext .p { opacity: 0.5; }
.nnp-tfm .nnp-empty { opacity: 0.75; margin: 8px 0; font-size: 12px; }
.nnp-tfm .nnp-tip { position: absolute; z-index: 10; pointer-events: none; font-size: 12px; padding: 4px 7px; border-radius: 4px; white-space: pre;
background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); border: 1px solid var(--st-border-color, #999); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2); }`;

// Tokens on screen: a newline, a space and a tab made visible.
const SHOWN_TOK = { "\n": "↵", " ": "␣", "\t": "⇥" };
const tokText = (s) => String(s).replace(/[\n \t]/g, (c) => SHOWN_TOK[c]);
// The temperature slider is log10(τ) from 0.1 to 5.
const T_LO = -1, T_HI = Math.log10(5);
const pct0 = (v) => Math.round(100 * v) + " %";
const MONO = '"Source Code Pro", ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace';

class TransformerView extends Player {
  build() {
    this.STICKY = ["sample"];
    Object.assign(this, { tab: "attention", query: null, sel: null, mode: "weights", temp: 1, want: {}, keys: {},
      geo: null, dec: null, drawMs: 0, drawMsMax: 0 });
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
      <span class="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-arch"></div>
      <div class="nnp-body">
      <div class="nnp-left"><div class="nnp-sub">test sequences <i>· click one</i></div><div class="nnp-gallery"></div><div class="nnp-about"></div></div>
      <div class="nnp-main"><div class="nnp-tabs">
      <button type="button" class="nnp-tab" data-tab="attention" data-testid="nnp-tab-attention">Attention</button>
      <button type="button" class="nnp-tab" data-tab="embeddings" data-testid="nnp-tab-embeddings">Embeddings</button>
      <button type="button" class="nnp-tab" data-tab="outputs" data-testid="nnp-tab-outputs">Outputs</button>
      <span class="nnp-ctl"><span class="nnp-seg">
      <button type="button" class="nnp-btn" data-mode="weights" data-testid="nnp-mode-weights" title="the attention weights: softmax of the scores, each row sums to 100 %">weights</button>
      <button type="button" class="nnp-btn" data-mode="scores" data-testid="nnp-mode-scores" title="the scores q·k/√d before the softmax (blue negative, orange positive)">scores</button></span>
      <label class="nnp-temp" title="softmax temperature τ for this view only: weights = softmax(scores / τ); the network itself uses τ = 1">τ
      <input type="range" data-testid="nnp-temp" min="${T_LO}" max="${T_HI.toFixed(3)}" step="0.01" value="0" aria-label="softmax temperature, log10 scale" aria-valuetext="τ = 1.00"><span class="nnp-tval">1.00</span></label></span></div>
      <div class="nnp-pane" data-pane="attention"><div class="nnp-strip"></div>
      <div class="nnp-line nnp-attends" data-testid="nnp-attends"></div><div class="nnp-line nnp-pattern" data-testid="nnp-pattern"></div>
      <div class="nnp-amaps"></div></div>
      <div class="nnp-pane" data-pane="embeddings"><div class="nnp-two"><div><div class="nnp-sub nnp-pos-title"></div><canvas class="nnp-pos"></canvas></div>
      <div><div class="nnp-sub nnp-emb-title"></div><canvas class="nnp-emb"></canvas><div class="nnp-note nnp-emb-note" hidden></div></div></div></div>
      <div class="nnp-pane" data-pane="outputs"><div class="nnp-sub nnp-out-title"></div><canvas class="nnp-out"></canvas></div></div>
      <div class="nnp-right"><canvas class="nnp-curve"></canvas><div class="nnp-chosen" data-testid="nnp-chosen"></div>
      <div class="nnp-sample" data-testid="nnp-sample" hidden><div class="nnp-sub nnp-stitle"></div>
      <div class="nnp-stext"><span class="p"></span><span class="g"></span></div></div></div></div>
      <div class="nnp-tip" hidden></div>`;
    this.tip = this.q(".nnp-tip");
    this.bindInputs();
    window.__nnpTransformer = this;
  }

  onTheme(pal) {
    this.el.style.setProperty("--nnp-shade", rgb(pal.unit[255]));
    this.keys = {};
  }

  // ---- scene ------------------------------------------------------------------------
  onScene(S) {
    Object.assign(this, { query: null, sel: null, want: {}, keys: {}, geo: null, dec: null });
    this.boxes = S.layers.map((ly) => {
      const params = ly.params ? ly.params.toLocaleString("en-US") + " params" : "no params";
      const b = h("div", "nnp-box" + (/block/.test(ly.label) ? " blk" : ""), null, { title: `${ly.label}\noutput ${ly.shape} · ${params}` });
      b.append(h("b", "", ly.label), h("span", "", `${ly.shape} · ${params}`));
      return b;
    });
    this.q(".nnp-arch").replaceChildren(...this.boxes);
    this.items = S.gallery.map((g, i) => {
      const e = h("div", "nnp-gitem", g.label, { "data-testid": "nnp-gallery-" + i, title: `test sequence ${g.index}: ${g.label}` });
      e.addEventListener("click", () => this.pick(i));
      return e;
    });
    this.q(".nnp-gallery").replaceChildren(...this.items);
    const about = this.q(".nnp-about");
    about.replaceChildren(h("b", "", S.task.name), document.createTextNode(" · " + S.task.description));
    const net = `${S.blocks} block${S.blocks > 1 ? "s" : ""} × ${S.heads} head${S.heads > 1 ? "s" : ""} · width ${S.width} · ${S.positions} positions · ${S.causal ? "causal (sees only the past)" : "encoder (sees all positions)"}`;
    about.append(h("br"), document.createTextNode(net));
    if (S.pattern) about.append(h("br"), document.createTextNode(`Pattern to look for: ${S.pattern.name}, ${S.pattern.about}.`));
    this.q(".nnp-sample").hidden = !S.sample;
  }

  // ---- layout: sized to the viewport, like cnn.js ----------------------------------
  sizes() {
    const S = this.scene, W = Math.max(640, this.el.clientWidth || 1000), gap = 14;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 28, 440, 1100);
    const bodyH = Math.floor(avail - 34 - this.q(".nnp-arch").offsetHeight - 14);
    const leftW = Math.round(clamp(W * 0.15, W < 900 ? 130 : 170, 250)), rightW = Math.round(clamp(W * 0.19, W < 900 ? 170 : 210, 340));
    const mainW = W - leftW - rightW - 2 * gap, paneH = bodyH - 32;
    const curveH = Math.round(S.sample ? clamp(bodyH * 0.4, 130, 300) : clamp(Math.min(bodyH - 110, rightW * 1.15), 150, 420));
    return { W, bodyH, leftW, rightW, mainW, paneH, curveH };
  }

  applySizes(s) {
    const S = this.scene;
    this.q(".nnp-left").style.width = px(s.leftW);
    this.q(".nnp-right").style.width = px(s.rightW);
    this.q(".nnp-main").style.width = px(s.mainW);
    for (const k of [".nnp-body", ".nnp-left", ".nnp-right"]) this.q(k).style.height = px(s.bodyH);
    for (const p of this.el.querySelectorAll(".nnp-pane")) { p.style.height = px(s.paneH); p.hidden = p.dataset.pane !== this.tab; }
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.classList.toggle("on", b.dataset.tab === this.tab);
    for (const b of this.el.querySelectorAll("[data-mode]")) b.classList.toggle("on", b.dataset.mode === this.mode);
    this.q(".nnp-ctl").style.visibility = this.tab === "attention" ? "" : "hidden";
    this.q(".nnp-temp").classList.toggle("off", this.mode !== "weights");
    const n = Math.max(1, this.items.length), gh = Math.floor(clamp((s.bodyH - 18 - 70) / n - 3, 16, 24));
    for (const e of this.items) { e.style.height = px(gh); e.style.lineHeight = px(gh - 2); }
    this.q(".nnp-about").style.height = px(Math.max(0, Math.floor((s.bodyH - 18 - n * (gh + 3) - 10) / 15) * 15));
    this.q(".nnp-pattern").hidden = !S.pattern;
    this.keys = {};
    if (this.tab === "attention") this.layoutAttention(s);
  }

  // The input strip (a token per position, clickable) and the grid of maps: blocks in rows,
  // heads in columns, every map the same square, the largest that fits; tick labels on the top
  // row and the first column only (every map shares its axes).
  layoutAttention(s) {
    const S = this.scene, V = S.view_length, B = S.blocks, Hh = S.heads, tokens = S.tokens.length > 0;
    const strip = this.q(".nnp-strip"), lab = h("span", "nnp-slab", "query");
    lab.title = "click a position: what does it attend to?";
    const tw = Math.floor(clamp((s.mainW - 50 - (S.length > V ? 110 : 0)) / V, 8, tokens ? 30 : 40));
    this.tokEls = Array.from({ length: V }, (_, t) => {
      const e = h("span", "nnp-tok", null, { "data-testid": "nnp-query-" + t });
      e.style.width = px(tw); e.style.fontSize = px(clamp(tw - 2, 9, 13));
      e.addEventListener("click", () => this.setQuery(this.query === t ? null : t));
      return e;
    });
    this.tokW = tw;
    strip.replaceChildren(lab, ...this.tokEls, ...(S.length > V ? [h("span", "nnp-snote", `(first ${V} of ${S.length})`)] : []));
    const gridW = s.mainW, gridH = s.paneH - 30 - 20 - (S.pattern ? 20 : 0) - 4;
    const capH = 16, gx = Hh > 1 ? 10 : 0, gy = 6, bx = 22;
    // Blocks in R rows of P blocks side by side (each block its heads in a row): the R that
    // gives the largest maps. Token ticks (and position numbers) when a cell is big enough.
    const maxTok = tokens ? Math.max(...S.tokens.map((t) => tokText(t).length)) : 0;
    const fit = (R, labL, topH) => {
      const P = Math.ceil(B / R), n = P * Hh;
      return Math.min((gridW - labL - (n - 1) * gx - (P - 1) * (bx - gx)) / n, (gridH - topH - R * capH - (R - 1) * gy) / R);
    };
    let best = null;
    for (let R = 1; R <= B; R++) {
      if (R > 1 && Math.ceil(B / R) === Math.ceil(B / (R - 1))) continue;
      let labL = 22, topH = 14, showTok = false;
      if (tokens && maxTok <= 3 && fit(R, 26 + 8 * maxTok, 27) / V >= 11) { showTok = true; labL = 26 + 8 * maxTok; topH = 27; }
      const side = fit(R, labL, topH);
      if (!best || side > best.side + 0.5) best = { R, labL, topH, showTok, side };
    }
    const { R, labL, topH, showTok } = best, P = Math.ceil(B / R);
    let side = Math.floor(clamp(best.side, V, 440));
    if (side >= 2 * V) side = Math.floor(side / V) * V;
    const c = side / V, totalW = labL + P * Hh * side + (P * Hh - 1) * gx + (P - 1) * (bx - gx);
    // Room to spare (a wide screen): the chosen head as lines from each query to its keys.
    const linesW = V <= 48 && gridW - totalW >= 200 ? Math.min(gridW - totalW - 24, 300) : 0;
    const x0 = Math.max(0, Math.floor((gridW - totalW - (linesW ? linesW + 24 : 0)) / 2));
    const g = { V, B, Hh, R, P, side, c, labL, topH, capH, gx, gy, showTok, maxTok, W: gridW, H: gridH, x0, linesW };
    g.at = (b, hd) => {
      const r = Math.floor(b / P), bc = b % P;
      return [x0 + labL + (bc * Hh + hd) * (side + gx) + bc * (bx - gx), capH + topH + r * (side + gy + capH)];
    };
    this.geo = g;
    const wrap = this.q(".nnp-amaps");
    wrap.style.width = px(gridW); wrap.style.height = px(gridH);
    this.maps = []; this.caps = [];
    const els = [];
    for (let b = 0; b < B; b++) {
      for (let hd = 0; hd < Hh; hd++) {
        const [x, y] = g.at(b, hd), cv = h("canvas", "m", null, { "data-testid": `nnp-map-${b}-${hd}` });
        Object.assign(cv.style, { left: px(x), top: px(y) });
        sized(cv, side, side);
        const cap = h("div", "nnp-cap", null, { "data-testid": `nnp-cap-${b}-${hd}`, title: `block ${b + 1}, head ${hd + 1}${S.pattern ? `; the % is its share of attention on the keys the ${S.pattern.name} expects` : ""}\nclick: this head drives the words, the shading and the lines` });
        Object.assign(cap.style, { left: px(x), top: px(y - capH - (b < P ? topH : 0)), width: px(side + gx - 2) });
        cap.addEventListener("click", () => this.setSel(b, hd));
        this.maps.push(cv); this.caps.push(cap);
        els.push(cv, cap);
      }
    }
    this.overlay = h("canvas", "ov");
    this.lines = null;
    if (linesW) {
      this.lines = h("canvas", "m nnp-lines", null, { "data-testid": "nnp-lines" });
      Object.assign(this.lines.style, { left: px(x0 + totalW + 24), top: "0px", cursor: "default" });
      g.linesH = gridH;
      els.push(this.lines);
    }
    wrap.replaceChildren(...els, this.overlay);
  }

  redraw() {
    if (!this.scene || !this.pal) return;
    const t0 = performance.now();
    if (!this.sz) this.applySizes((this.sz = this.sizes()));
    const f = this.current;
    this.drawStatus(f);
    this.drawGallery(f);
    drawCurve(this.q(".nnp-curve"), this.sz.rightW, this.sz.curveH, this.curve, this.pal, this.scene.task.kind === "classification");
    this.drawChosen(f);
    this.drawSample();
    if (this.tab === "attention") this.drawAttention(f);
    else if (this.tab === "embeddings") this.drawEmbeddings(f);
    else this.drawOutputs(f);
    this.drawMs = performance.now() - t0;
    this.drawMsMax = Math.max(this.drawMsMax, this.drawMs);
  }

  setTab(tab) {
    this.tab = tab;
    this.tip.hidden = true;
    this.sz = null;
    this.redraw();
  }

  // ---- status, gallery, chosen sequence, sample -----------------------------------------
  drawStatus(f) {
    const into = f && f.part ? ` + ${f.part}/${f.parts}` : "";
    const label = "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US") + into, el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;
    const parts = [], acc = this.latest("test_accuracy");
    if (acc !== null) parts.push(`test accuracy <b>${pct(acc)}</b>`);
    for (const k of ["train_loss", "test_loss"]) if (this.latest(k) !== null) parts.push(`${k.replace("_", " ")} <b>${sig(this.latest(k))}</b>`);
    parts.push(`${(this.scene.params || 0).toLocaleString("en-US")} parameters`);
    const html = parts.join(" · ");
    if (this.metricsHtml !== html) this.q(".nnp-metrics").innerHTML = this.metricsHtml = html;
  }

  // The chosen entry solid; a clicked one dashed until a frame shows it (or 5 s pass).
  drawGallery(f) {
    const G = this.scene.gallery, on = f ? G.findIndex((g) => g.index === f.chosen) : -1, w = this.want;
    if (w.pick !== undefined && (on === w.pick || performance.now() - w.pickAt > 5000)) delete w.pick;
    this.items.forEach((e, i) => { e.classList.toggle("on", i === on); e.classList.toggle("want", i === w.pick && i !== on); });
  }

  pick(i) {
    Object.assign(this.want, { pick: i, pickAt: performance.now() });
    this.send("pick", { index: this.scene.gallery[i].index });
    this.redraw();
  }

  tok(f, t) {
    const S = this.scene, v = f.input[t];
    return S.tokens.length ? tokText(S.tokens[v] ?? v) : sig(v);
  }

  cls(k) {
    return tokText(this.scene.classes[k] ?? k);
  }

  // Target and prediction of the chosen sequence: a line each, mistakes in the accent colour.
  drawChosen(f) {
    const S = this.scene, box = this.q(".nnp-chosen");
    const key = f ? [f.chosen, f.target, f.output].map((a) => (Array.isArray(a) ? a.join() : a)).join("|") + this.sz.rightW : "none";
    if (this.keys.chosen === key) return;
    this.keys.chosen = key;
    if (!f || !f.output) { box.replaceChildren(h("div", "nnp-empty", "no frame yet")); return; }
    const g = S.gallery.find((e) => e.index === f.chosen), head = h("div", "nnp-sub", null);
    head.append(document.createTextNode(`test sequence ${f.chosen} `), h("i", "", g ? "" : "· not in the list"));
    const rows = [head];
    const line = (name, parts, title) => {
      const r = h("div", "nnp-cline", null, title ? { title } : {}), seq = h("span", "nnp-seq");
      for (const [text, bad] of parts) seq.appendChild(bad ? h("span", "bad", text) : document.createTextNode(text));
      r.append(h("span", "", name), seq);
      return r;
    };
    if (S.task.kind === "classification") {
      const pred = f.output.map((p) => p.indexOf(Math.max(...p)));
      const words = S.classes.some((c) => c.length > 1), sep = words || S.classes.length <= 10 ? " " : "";
      const right = pred.filter((p, i) => p === f.target[i]).length;
      rows.push(line("target", f.target.map((k, i) => [(i ? sep : "") + this.cls(k), false])));
      rows.push(line("output", pred.map((k, i) => [(i ? sep : "") + this.cls(k), k !== f.target[i]]), "the most likely class at each position; mistakes in colour"));
      rows.push(h("div", "", pred.length > 1 ? `${right} of ${pred.length} positions right` : `${right ? "right" : "wrong"} · ${pct(Math.max(...f.output[0]))} sure`));
    } else {
      const o = f.output, tg = f.target, n = Math.min(o.length, tg.length);
      if (n === 1) {
        rows.push(line("target", [[sig(tg[0]), false]]), line("output", [[sig(o[0]), false]]));
        rows.push(h("div", "", `error ${sig(o[0] - tg[0])}`));
      } else {
        let se = 0;
        for (let i = 0; i < n; i++) se += (o[i] - tg[i]) ** 2;
        const short = (a) => a.slice(0, 6).map((v) => [sig(Math.round(v * 100) / 100) + " ", false]);
        rows.push(line("target", short(tg)), line("output", short(o)), h("div", "", `root mean squared error ${sig(Math.sqrt(se / n))}`));
      }
    }
    box.replaceChildren(...rows);
  }

  drawSample() {
    if (!this.scene.sample) return;
    const sm = this.sticky.sample, key = sm ? sm.prompt + "\u0000" + sm.text + sm.temperature : "";
    if (this.keys.sample === key) return;
    this.keys.sample = key;
    this.q(".nnp-stitle").replaceChildren(document.createTextNode("generated text "), h("i", "", sm ? `· temperature ${sig(sm.temperature)} · prompt faded` : "· after the next batch"));
    this.q(".nnp-stext .p").textContent = sm ? sm.prompt : "";
    this.q(".nnp-stext .g").textContent = sm ? sm.text : "";
  }

  // ---- attention ------------------------------------------------------------------
  // A frame's maps decoded once: weights and score codes as bytes, per block.
  decoded(f) {
    if (this.dec && this.dec.f === f) return this.dec;
    const blocks = (f.attention || []).map((a) => ({ w: unb64(a.weights), s: unb64(a.scores), lo: a.lo, hi: a.hi }));
    return (this.dec = { f, blocks, tau: null, tw: null, sidx: null });
  }

  masked(q, k) {
    return this.scene.causal && k > q;
  }

  // Weights at the view's temperature: softmax(score / τ) over the unmasked keys, from the
  // decoded scores; floats (for words) and bytes (for the maps), per block [head][query][key].
  tempered(d) {
    if (d.tau === this.temp && d.tw) return d.tw;
    const V = this.geo ? this.geo.V : this.scene.view_length, VV = V * V, tau = this.temp, e = new Float64Array(V);
    d.tau = tau;
    d.tw = d.blocks.map((bk) => {
      const nh = bk.lo.length, fl = new Float32Array(nh * VV), by = new Uint8Array(nh * VV);
      for (let hd = 0; hd < nh; hd++) {
        const lo = bk.lo[hd], step = (bk.hi[hd] - lo) / 255;
        for (let q = 0; q < V; q++) {
          const K = this.scene.causal ? q + 1 : V, row = hd * VV + q * V;
          let m = -Infinity, sum = 0;
          for (let k = 0; k < K; k++) { e[k] = (lo + bk.s[row + k] * step) / tau; if (e[k] > m) m = e[k]; }
          for (let k = 0; k < K; k++) { e[k] = Math.exp(e[k] - m); sum += e[k]; }
          for (let k = 0; k < K; k++) { const w = e[k] / sum; fl[row + k] = w; by[row + k] = Math.round(255 * w); }
        }
      }
      return { fl, by };
    });
    return d.tw;
  }

  // Scores on the diverging palette around 0 (each map its own lo..hi, symmetric); masked cells 0.
  scoreIdx(d) {
    if (d.sidx) return d.sidx;
    const V = this.geo.V, VV = V * V;
    d.sidx = d.blocks.map((bk) => {
      const nh = bk.lo.length, out = new Uint8Array(nh * VV), lut = new Uint8Array(256);
      for (let hd = 0; hd < nh; hd++) {
        const lo = bk.lo[hd], hi = bk.hi[hd], top = Math.max(1e-9, Math.abs(lo), Math.abs(hi));
        for (let b = 0; b < 256; b++) lut[b] = clamp(Math.round(128 + 127 * (lo + b / 255 * (hi - lo)) / top), 1, 255);
        for (let q = 0; q < V; q++) for (let k = 0; k < V; k++) {
          const i = hd * VV + q * V + k;
          out[i] = this.masked(q, k) ? 128 : lut[bk.s[i]];
        }
      }
      return out;
    });
    return d.sidx;
  }

  // One query's weights over the keys in one map, at the view's temperature.
  weightRow(d, b, hd, q) {
    const V = this.geo.V, at = hd * V * V + q * V, bk = d.blocks[b];
    if (!bk) return null;
    if (this.temp === 1) return Array.from(bk.w.subarray(at, at + V), (v) => v / 255);
    return Array.from(this.tempered(d)[b].fl.subarray(at, at + V));
  }

  score(d, b, hd, q, k) {
    const bk = d.blocks[b], V = this.geo.V;
    return bk.lo[hd] + bk.s[hd * V * V + q * V + k] / 255 * (bk.hi[hd] - bk.lo[hd]);
  }

  // The map that drives the words and the shading: the user's, else the best match, else the last block's first head.
  currentSel(f) {
    const S = this.scene;
    if (this.sel) return this.sel;
    if (f && f.match) {
      let best = [0, 0, -1];
      f.match.forEach((row, b) => row.forEach((v, hd) => { if (v > best[2]) best = [b, hd, v]; }));
      return { b: best[0], hd: best[1] };
    }
    return { b: S.blocks - 1, hd: 0 };
  }

  setQuery(t) {
    this.query = t;
    this.redraw();
  }

  setSel(b, hd) {
    this.sel = { b, hd };
    this.redraw();
  }

  drawAttention(f) {
    const S = this.scene, g = this.geo;
    if (!g) return;
    const V = g.V, VV = V * V, ok = f && f.attention && f.attention.length;
    const d = ok ? this.decoded(f) : null, scores = this.mode === "scores";
    if (ok) {
      const src = scores ? this.scoreIdx(d) : this.temp === 1 ? d.blocks.map((bk) => bk.w) : this.tempered(d).map((t) => t.by);
      const palette = scores ? this.pal.div : this.pal.unit;
      for (let b = 0; b < g.B; b++) for (let hd = 0; hd < g.Hh; hd++) {
        if (src[b]) indexImage(this.maps[b * g.Hh + hd], src[b], hd * VV, V, V, palette);
      }
    }
    const sel = this.currentSel(f), match = ok && f.match, best = this.bestMatch(f);
    for (let b = 0; b < g.B; b++) for (let hd = 0; hd < g.Hh; hd++) {
      const cap = this.caps[b * g.Hh + hd], m = match && match[b] ? match[b][hd] : null;
      const long = g.side + g.gx >= (m !== null && m !== undefined ? 165 : 110);
      const text = (long ? `block ${b + 1} · head ${hd + 1}` : `b${b + 1} · h${hd + 1}`) + (m !== null && m !== undefined ? ` · ${pct0(m)}` : "");
      if (cap.textContent !== text) cap.textContent = text;
      cap.classList.toggle("sel", sel.b === b && sel.hd === hd);
      cap.classList.toggle("best", !!best && best.b === b && best.hd === hd);
    }
    const exp = ok && f.expected ? JSON.stringify(f.expected) : "";
    const okey = [this.query, sel.b, sel.hd, this.mode, exp, ok ? f.input.slice(0, V).join() : "", this.pal.key].join("|");
    if (this.keys.overlay !== okey) { this.keys.overlay = okey; this.drawOverlay(f, sel); }
    this.drawStrip(f, d, sel);
    this.drawPattern(f, best);
    if (this.lines) this.drawLines(f, d, sel);
  }

  // The chosen head as lines (like BertViz): queries on the left, keys on the right, a line's
  // opacity its weight; a chosen query's lines stand out, the others fade.
  drawLines(f, d, sel) {
    const g = this.geo, P = this.pal, S = this.scene, V = g.V, w = g.linesW, hh = g.linesH, ctx = setupCanvas(this.lines, w, hh);
    ctx.font = "12px sans-serif"; ctx.fillStyle = P.text; ctx.textBaseline = "middle"; ctx.textAlign = "center";
    ctx.fillText(`block ${sel.b + 1} · head ${sel.hd + 1}: query → key`, w / 2, 8);
    if (!d || !d.blocks[sel.b]) return;
    const top = 26, rowH = Math.min(40, (hh - top - 4) / V), lx = 40, rx = w - 40, fs = clamp(Math.floor(rowH * 0.6), 8, 15);
    const y = (i) => top + (i + 0.5) * rowH, q0 = this.query !== null && this.query < V ? this.query : null;
    const acc = P.unit[255];
    ctx.lineWidth = Math.max(1, Math.min(3, rowH / 5));
    for (let q = 0; q < V; q++) {
      const row = this.weightRow(d, sel.b, sel.hd, q), dim = q0 !== null && q !== q0;
      for (let k = 0; k < V; k++) {
        const a = row[k] * (dim ? 0.12 : 1);
        if (a < 0.02) continue;
        ctx.strokeStyle = `rgba(${acc[0]},${acc[1]},${acc[2]},${a.toFixed(3)})`;
        ctx.beginPath(); ctx.moveTo(lx + 4, y(q)); ctx.lineTo(rx - 4, y(k)); ctx.stroke();
      }
    }
    const show = rowH >= 9;
    for (let i = 0; i < V; i++) {
      const isq = i === q0;
      ctx.fillStyle = isq ? P.accent : P.text;
      ctx.font = `${isq ? "bold " : ""}${fs}px ${S.tokens.length ? MONO : "sans-serif"}`;
      const t = S.tokens.length ? this.tok(f, i) : sig(Math.round(f.input[i] * 100) / 100);
      if (show || isq) { ctx.textAlign = "right"; ctx.fillText(t, lx, y(i)); ctx.textAlign = "left"; ctx.fillText(t, rx, y(i)); }
    }
  }

  bestMatch(f) {
    if (!f || !f.match) return null;
    let best = null;
    f.match.forEach((row, b) => row.forEach((v, hd) => { if (!best || v > best.v) best = { b, hd, v }; }));
    return best;
  }

  // Everything that does not change with the weights: ticks, the causal mask hatched, the
  // expected keys as rings, the query's row and the chosen map outlined.
  drawOverlay(f, sel) {
    const g = this.geo, P = this.pal, S = this.scene, ov = this.overlay, V = g.V, c = g.c;
    const ctx = setupCanvas(ov, g.W, g.H);
    const fs = clamp(Math.floor(c * 0.85), 9, 12);
    ctx.textBaseline = "middle";
    const input = f && f.input, has = !!input;
    const tickStep = g.showTok ? 1 : Math.max(1, [1, 2, 4, 5, 8, 10, 16].find((s) => s * c >= 16) || 16);
    // Ticks: position numbers (muted) and tokens, across the top row and down the first column.
    const numRight = g.showTok ? 9 + 8 * g.maxTok : 4;
    for (let b = 0; b < Math.min(g.P, g.B); b++) for (let hd = 0; hd < g.Hh; hd++) {
      const [x, y] = g.at(b, hd);
      for (let k = 0; k < V; k++) {
        const cx = x + (k + 0.5) * c;
        ctx.textAlign = "center";
        if (k % tickStep === 0) { ctx.font = "10px sans-serif"; ctx.fillStyle = P.text; ctx.globalAlpha = 0.6; ctx.fillText(String(k), cx, y - (g.showTok ? 21 : 6)); }
        ctx.globalAlpha = 1;
        if (g.showTok && has) { ctx.font = `${fs + 1}px ${MONO}`; ctx.fillStyle = P.text; ctx.fillText(this.tok(f, k), cx, y - 8); }
      }
    }
    for (let b = 0; b < g.B; b += g.P) {
      const [x, y] = g.at(b, 0);
      for (let q = 0; q < V; q++) {
        const cy = y + (q + 0.5) * c, isq = q === this.query;
        ctx.textAlign = "right";
        if ((q % tickStep === 0 && (this.query === null || Math.abs(q - this.query) * c >= 10)) || isq) {
          ctx.font = `${isq ? "bold " : ""}10px sans-serif`; ctx.fillStyle = isq ? P.accent : P.text; ctx.globalAlpha = isq ? 1 : 0.6;
          ctx.fillText(String(q), x - numRight, cy);
        }
        ctx.globalAlpha = 1;
        if (g.showTok && has) { ctx.font = `${isq ? "bold " : ""}${fs + 1}px ${MONO}`; ctx.fillStyle = isq ? P.accent : P.text; ctx.fillText(this.tok(f, q), x - 5, cy); }
      }
    }
    // The causal mask: the cells right of the diagonal, hatched.
    if (S.causal) {
      const tile = h("canvas"), tc = tile.getContext("2d");
      tile.width = tile.height = 6;
      tc.fillStyle = P.dark ? "rgba(255,255,255,0.06)" : "rgba(0,0,0,0.05)"; tc.fillRect(0, 0, 6, 6);
      tc.strokeStyle = P.dark ? "rgba(255,255,255,0.28)" : "rgba(0,0,0,0.22)"; tc.lineWidth = 1;
      tc.beginPath(); tc.moveTo(0, 6); tc.lineTo(6, 0); tc.stroke();
      ctx.fillStyle = ctx.createPattern(tile, "repeat");
      for (let b = 0; b < g.B; b++) for (let hd = 0; hd < g.Hh; hd++) {
        const [x, y] = g.at(b, hd);
        ctx.beginPath(); ctx.moveTo(x + c, y);
        for (let q = 0; q < V - 1; q++) { ctx.lineTo(x + (q + 1) * c, y + (q + 1) * c); ctx.lineTo(x + (q + 2) * c, y + (q + 1) * c); }
        ctx.lineTo(x + V * c, y); ctx.closePath(); ctx.fill();
      }
    }
    for (let b = 0; b < g.B; b++) for (let hd = 0; hd < g.Hh; hd++) {
      const [x, y] = g.at(b, hd), on = sel.b === b && sel.hd === hd;
      // The expected keys: a ring in each such cell.
      if (f && f.expected) {
        ctx.strokeStyle = P.accent; ctx.fillStyle = P.accent; ctx.lineWidth = c >= 14 ? 1.5 : 1;
        const r = Math.max(1.2, c * 0.22);
        f.expected.slice(0, V).forEach((keys, q) => (keys || []).forEach((k) => {
          if (k >= V) return;
          ctx.beginPath(); ctx.arc(x + (k + 0.5) * c, y + (q + 0.5) * c, r, 0, 2 * Math.PI);
          if (c >= 8) ctx.stroke(); else ctx.fill();
        }));
      }
      ctx.lineWidth = on ? 2 : 1; ctx.strokeStyle = on ? P.accent : P.line;
      ctx.strokeRect(x - (on ? 1 : 0.5), y - (on ? 1 : 0.5), g.side + (on ? 2 : 1), g.side + (on ? 2 : 1));
      if (this.query !== null && this.query < V) {
        const thin = c < 6;
        ctx.lineWidth = thin ? 1 : 2; ctx.strokeStyle = thin ? P.accent : P.text;
        ctx.strokeRect(x - (thin ? 2.5 : 1), y + this.query * c - (thin ? 0.5 : 1), g.side + (thin ? 5 : 2), c + (thin ? 1 : 2));
      }
    }
  }

  // The input: each token shaded by the weight the query gives it in the chosen map.
  drawStrip(f, d, sel) {
    const S = this.scene, V = this.geo.V, line = this.q(".nnp-attends");
    if (!f || !f.input) { line.textContent = ""; return; }
    const ikey = f.input.slice(0, V).join() + "|" + this.tokW;
    if (this.keys.strip !== ikey) {
      this.keys.strip = ikey;
      const nums = !S.tokens.length, top = nums ? Math.max(1e-9, ...f.input.slice(0, V).map(Math.abs)) : 1;
      this.tokEls.forEach((e, t) => {
        const v = f.input[t], text = this.tok(f, t);
        e.title = `position ${t}: ${nums ? sig(v) : `‘${text}’`}\nclick: what does it attend to?`;
        if (nums && this.tokW < 34) {
          const bar = h("i"), frac = clamp(v / top, -1, 1) * 0.45;
          Object.assign(bar.style, frac >= 0 ? { bottom: "50%", height: pct(frac) } : { top: "50%", height: pct(-frac) });
          e.replaceChildren(bar);
        } else e.textContent = nums ? (Math.round(v * 100) / 100).toFixed(2) : text;
      });
    }
    const q = this.query !== null && this.query < V ? this.query : null;
    const row = q !== null && d ? this.weightRow(d, sel.b, sel.hd, q) : null;
    this.tokEls.forEach((e, t) => {
      e.classList.toggle("q", t === q);
      const w = row ? row[t] : null;
      e.style.background = w === null ? "" : rgb(mix(this.pal.zero, this.pal.unit[255], w));
      e.style.color = w !== null && w > 0.5 ? "#fff" : "";
    });
    if (!row) {
      line.innerHTML = `<i>rows: queries · columns: keys · ${this.mode === "scores" ? "blue < 0 < orange" : "dark = much attention"}${S.causal ? " · hatched: the future, masked" : ""} · click a token or a row to see what it attends to</i>`;
      return;
    }
    const order = row.map((w, k) => [w, k]).filter(([w]) => w >= 0.005).sort((a, b) => b[0] - a[0]);
    const shown = [];
    let cum = 0;
    for (const [w, k] of order) { if (shown.length >= 5 || (cum >= 0.9 && shown.length)) break; shown.push([w, k]); cum += w; }
    const name = (t) => (S.tokens.length ? `${t} ‘${this.tok(f, t)}’` : `${t} (${sig(f.input[t])})`);
    const where = S.blocks * S.heads > 1 ? ` in block ${sel.b + 1} head ${sel.hd + 1}` : "";
    const tau = this.temp !== 1 ? ` at τ = ${this.temp.toFixed(2)}` : "";
    line.textContent = `position ${name(q)} attends${where}${tau} to: ` + shown.map(([w, k]) => `${name(k)} ${pct0(w)}`).join(" · ") + (order.length > shown.length ? " · …" : "");
  }

  drawPattern(f, best) {
    const S = this.scene, el = this.q(".nnp-pattern");
    if (!S.pattern) return;
    el.title = S.pattern.about;
    const html = best ? `<b>${esc(S.pattern.name)}: ${pct0(best.v)} of attention</b> in block ${best.b + 1} head ${best.hd + 1} ★ <i>· rings: the keys the ${esc(S.pattern.name)} expects</i>`
      : `<b>${esc(S.pattern.name)}</b> <i>· ${esc(S.pattern.about)}</i>`;
    if (this.keys.pattern !== html) el.innerHTML = this.keys.pattern = html;
  }

  // Which map and cell a mouse event is over.
  gridPoint(e) {
    const g = this.geo;
    if (!g) return null;
    const r = this.q(".nnp-amaps").getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    for (let b = 0; b < g.B; b++) for (let hd = 0; hd < g.Hh; hd++) {
      const [mx, my] = g.at(b, hd);
      if (x >= mx && x < mx + g.side && y >= my && y < my + g.side) return { b, hd, q: Math.floor((y - my) / g.c), k: Math.floor((x - mx) / g.c) };
    }
    // Left of the first column: a query's tick.
    for (let b = 0; b < g.B; b += g.P) {
      const [mx, my] = g.at(b, 0);
      if (x < mx && x >= mx - g.labL && y >= my && y < my + g.side) return { b: null, q: Math.floor((y - my) / g.c) };
    }
    return null;
  }

  hoverGrid(e) {
    const p = this.gridPoint(e), f = this.current;
    if (!p || p.b === null || !f || !f.attention) { this.tip.hidden = true; return; }
    const d = this.decoded(f), S = this.scene, name = (t) => (S.tokens.length ? `${t} ‘${this.tok(f, t)}’` : `${t} (${sig(f.input[t])})`);
    let text = `block ${p.b + 1} · head ${p.hd + 1}\nquery ${name(p.q)} → key ${name(p.k)}`;
    if (this.masked(p.q, p.k)) text += "\nmasked: a key in the query's future";
    else {
      const w = this.weightRow(d, p.b, p.hd, p.q)[p.k];
      text += `\nweight ${pct(w)}${this.temp !== 1 ? ` (τ = ${this.temp.toFixed(2)})` : ""}\nscore ${sig(this.score(d, p.b, p.hd, p.q, p.k))}`;
    }
    if (f.expected && (f.expected[p.q] || []).includes(p.k)) text += `\nexpected by the ${S.pattern ? S.pattern.name : "pattern"}`;
    this.showTip(e, text + "\nclick: this query, this head");
  }

  clickGrid(e) {
    const p = this.gridPoint(e);
    if (!p) return;
    if (p.b !== null) this.sel = { b: p.b, hd: p.hd };
    this.query = p.b === null && this.query === p.q ? null : p.q;
    this.redraw();
  }

  // ---- embeddings -----------------------------------------------------------------
  drawEmbeddings(f) {
    const S = this.scene, s = this.sz, P = this.pal, pos = f && f.positional, E = f && f.embedding;
    const key = [pos && pos.data, E && E.x.join(), f && f.input.join(), s.mainW, s.paneH, P.key].join("|");
    if (this.keys.emb === key) return;
    this.keys.emb = key;
    const H = s.paneH - 22, posW = Math.round(clamp(s.mainW * (S.tokens.length ? 0.42 : 0.6), 160, 640)), embW = s.mainW - posW - 18;
    this.q(".nnp-pos-title").innerHTML = `positional encodings <i>· ${esc(S.positions)}${pos ? ` · ${pos.T} positions × ${pos.d} dims · ±${sig(pos.scale)}` : ""}</i>`;
    const pc = this.q(".nnp-pos");
    if (pos) {
      const l = 26, t = 16, cw = Math.min(24, (posW - l - 4) / pos.d), ch = Math.min(Math.max(16, 2.5 * cw), (H - t - 18) / pos.T);
      const ctx = setupCanvas(pc, posW, Math.ceil(t + ch * pos.T + 18)), small = h("canvas");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(indexImage(small, unb64(pos.data), 0, pos.d, pos.T, P.div), l, t, cw * pos.d, ch * pos.T);
      ctx.strokeStyle = P.line; ctx.strokeRect(l - 0.5, t - 0.5, cw * pos.d + 1, ch * pos.T + 1);
      ctx.font = "10px sans-serif"; ctx.fillStyle = P.text; ctx.textBaseline = "middle";
      const ys = [1, 2, 4, 5, 8, 10, 16].find((k) => k * ch >= 12) || 16, xs = [1, 2, 4, 8, 16].find((k) => k * cw >= 16) || 16;
      ctx.textAlign = "right";
      for (let p = 0; p < pos.T; p += ys) ctx.fillText(String(p), l - 4, t + (p + 0.5) * ch);
      ctx.textAlign = "center";
      for (let j = 0; j < pos.d; j += xs) ctx.fillText(String(j), l + (j + 0.5) * cw, t - 7);
      ctx.textAlign = "left"; ctx.globalAlpha = 0.75;
      ctx.fillText("position ↓ · dimension →   blue < 0 < orange", l, t + ch * pos.T + 10);
      ctx.globalAlpha = 1;
      this.posGeom = { l, t, cw, ch, T: pos.T, d: pos.d };
    } else { setupCanvas(pc, posW, 20); this.posGeom = null; }
    const title = this.q(".nnp-emb-title"), note = this.q(".nnp-emb-note"), ec = this.q(".nnp-emb");
    if (!S.tokens.length || !E) {
      title.textContent = "token embeddings";
      note.hidden = false; ec.hidden = true;
      note.textContent = S.tokens.length ? "no embedding in this frame" : "The inputs are numbers: a dense layer maps each value to the width, so there is no table of token vectors to show. The positional encodings (left) are what tells the positions apart.";
      return;
    }
    note.hidden = true; ec.hidden = false;
    title.innerHTML = `token embeddings in 2-D <i>· close = treated alike · red: in this input · PCA of ${S.tokens.length} token vectors</i>`;
    this.drawScatter(ec, embW, H, E, f);
  }

  drawScatter(cv, w, hh, E, f) {
    const S = this.scene, P = this.pal, ctx = setupCanvas(cv, w, hh), n = E.x.length, pad = 22, b = 18;
    const ext = (a) => { const lo = Math.min(...a), hi = Math.max(...a), m = (hi - lo) * 0.06 || 1; return [lo - m, hi + m]; };
    const [x0, x1] = ext(E.x), [y0, y1] = ext(E.y);
    const X = (v) => pad + (v - x0) / (x1 - x0) * (w - pad - 8), Y = (v) => 6 + (1 - (v - y0) / (y1 - y0)) * (hh - b - 12);
    ctx.strokeStyle = P.line; ctx.lineWidth = 1;
    ctx.strokeRect(pad - 0.5, 5.5, w - pad - 7, hh - b - 10);
    ctx.setLineDash([3, 3]);
    if (x0 < 0 && x1 > 0) { ctx.beginPath(); ctx.moveTo(X(0), 6); ctx.lineTo(X(0), hh - b - 6); ctx.stroke(); }
    if (y0 < 0 && y1 > 0) { ctx.beginPath(); ctx.moveTo(pad, Y(0)); ctx.lineTo(w - 8, Y(0)); ctx.stroke(); }
    ctx.setLineDash([]);
    const used = new Set(f && f.input ? f.input : []), fs = n > 40 ? 11 : 13;
    ctx.textBaseline = "middle"; ctx.textAlign = "left";
    for (let i = 0; i < n; i++) {
      const x = X(E.x[i]), y = Y(E.y[i]), on = used.has(i);
      ctx.fillStyle = on ? P.accent : rgb(P.acc);
      ctx.beginPath(); ctx.arc(x, y, on ? 3.5 : 2.5, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = P.text; ctx.font = `${on ? "bold " : ""}${fs}px ${MONO}`;
      ctx.fillText(tokText(S.tokens[i] ?? i), x + 5, y);
    }
    ctx.font = "11px sans-serif"; ctx.fillStyle = P.text; ctx.globalAlpha = 0.8;
    ctx.textAlign = "center"; ctx.fillText(`component 1 · ${pct0(E.var[0])} of the variance →`, pad + (w - pad) / 2, hh - 7);
    ctx.save(); ctx.translate(9, 6 + (hh - b - 12) / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillText(`component 2 · ${pct0(E.var[1])} →`, 0, 0); ctx.restore();
    ctx.globalAlpha = 1;
  }

  // ---- outputs --------------------------------------------------------------------
  drawOutputs(f) {
    const S = this.scene, s = this.sz, title = this.q(".nnp-out-title"), cv = this.q(".nnp-out");
    const w = s.mainW, hh = s.paneH - 22;
    this.outGeom = null;
    if (!f || !f.output) { title.textContent = "outputs"; setupCanvas(cv, w, 20); return; }
    if (S.task.kind !== "classification") { this.drawRegression(f, cv, w, hh, title); return; }
    if (f.output.length === 1) { this.drawBars(f, cv, w, hh, title); return; }
    const P = this.pal, C = S.classes.length, Tn = f.output.length, ctx = setupCanvas(cv, w, hh);
    title.innerHTML = `the output distribution at each position <i>· ○ target · • most likely · mistakes in colour</i>`;
    const maxC = Math.max(...S.classes.map((c) => tokText(c).length));
    const l = Math.max(46, Math.min(80, 14 + 7 * maxC) + 6), t = 20, rowsH = 3 * 17 + 6;
    const cw = Math.min(44, (w - l - 62) / Tn), ch = Math.min(26, (hh - t - rowsH) / C);
    const idx = new Uint8Array(C * Tn);
    for (let p = 0; p < Tn; p++) for (let k = 0; k < C; k++) idx[k * Tn + p] = Math.round(255 * (f.output[p][k] || 0));
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(indexImage(h("canvas"), idx, 0, Tn, C, P.unit), l, t, cw * Tn, ch * C);
    ctx.strokeStyle = P.line; ctx.lineWidth = 1; ctx.strokeRect(l - 0.5, t - 0.5, cw * Tn + 1, ch * C + 1);
    this.outGeom = { l, t, cw, ch, C, Tn };
    ctx.textBaseline = "middle"; ctx.fillStyle = P.text;
    // Class names down the left (as many as fit), positions across the top.
    const ys = [1, 2, 4, 5, 8, 10, 16, 32].find((k) => k * ch >= 11) || 32, xs = [1, 2, 4, 5, 8, 10, 16, 32].find((k) => k * cw >= 18) || 32;
    ctx.font = `${clamp(Math.floor(ch * 0.8), 9, 13)}px ${MONO}`; ctx.textAlign = "right";
    for (let k = 0; k < C; k += ys) ctx.fillText(this.cls(k), l - 4, t + (k + 0.5) * ch);
    ctx.font = "10px sans-serif"; ctx.textAlign = "center"; ctx.globalAlpha = 0.7;
    for (let p = 0; p < Tn; p += xs) ctx.fillText(String(p), l + (p + 0.5) * cw, t - 8);
    ctx.globalAlpha = 1;
    const pred = f.output.map((pr) => pr.indexOf(Math.max(...pr)));
    for (let p = 0; p < Tn; p++) {
      const cx = l + (p + 0.5) * cw, tg = f.target[p], pk = pred[p];
      if (tg !== undefined) {
        ctx.strokeStyle = P.accent; ctx.lineWidth = ch >= 10 && cw >= 10 ? 2 : 1;
        if (ch >= 6 && cw >= 6) { ctx.beginPath(); ctx.arc(cx, t + (tg + 0.5) * ch, Math.min(cw, ch) * 0.36, 0, 2 * Math.PI); ctx.stroke(); }
        else ctx.strokeRect(l + p * cw + 0.5, t + tg * ch + 0.5, cw - 1, ch - 1);
      }
      if (ch >= 6 && cw >= 6) {
        ctx.fillStyle = f.output[p][pk] > 0.5 ? "#fff" : P.text;
        ctx.beginPath(); ctx.arc(cx, t + (pk + 0.5) * ch, Math.max(1.5, Math.min(cw, ch) * 0.12), 0, 2 * Math.PI); ctx.fill();
      }
    }
    // Three lines under the map: the input, the target, the prediction, a token per column.
    const y0 = t + ch * C + 12, lines = [["input", (p) => (p < f.input.length ? this.tok(f, p) : ""), null],
      ["target", (p) => (f.target[p] !== undefined ? this.cls(f.target[p]) : ""), null], ["output", (p) => this.cls(pred[p]), (p) => pred[p] !== f.target[p]]];
    const fits = cw >= 8 * maxC || cw >= 9;
    lines.forEach(([name, text, bad], i) => {
      const y = y0 + i * 17;
      ctx.font = "11px sans-serif"; ctx.textAlign = "right"; ctx.fillStyle = P.text; ctx.globalAlpha = 0.75;
      ctx.fillText(name, l - 4, y); ctx.globalAlpha = 1;
      if (!fits) return;
      ctx.font = `${clamp(Math.floor(cw * 0.9), 9, 13)}px ${MONO}`; ctx.textAlign = "center";
      for (let p = 0; p < Tn; p++) {
        const wrong = bad && bad(p);
        ctx.fillStyle = wrong ? P.accent : P.text;
        ctx.fillText(text(p), l + (p + 0.5) * cw, y);
      }
    });
    if (!fits) {
      ctx.font = `12px ${MONO}`; ctx.textAlign = "left";
      lines.forEach(([, text], i) => { ctx.fillStyle = P.text; ctx.fillText(Array.from({ length: Tn }, (_, p) => text(p)).join("").slice(0, Math.floor((w - l) / 7.3)), l, y0 + i * 17); });
    }
  }

  // One distribution (the last step's): a bar per class.
  drawBars(f, cv, w, hh, title) {
    const S = this.scene, P = this.pal, p = f.output[0], C = p.length, tg = f.target[f.target.length - 1], top = p.indexOf(Math.max(...p));
    title.innerHTML = `the output distribution after the last step <i>· underlined: the target</i>`;
    const rowH = Math.min(28, (hh - 10) / C), l = Math.min(160, 16 + 7.5 * Math.max(...S.classes.map((c) => tokText(c).length)));
    const bw = Math.min(w - l - 60, 420), ctx = setupCanvas(cv, w, Math.ceil(rowH * C + 10));
    ctx.textBaseline = "middle";
    for (let k = 0; k < C; k++) {
      const y = 4 + k * rowH;
      ctx.fillStyle = P.dark ? "rgba(255,255,255,0.08)" : "rgba(0,0,0,0.06)"; ctx.fillRect(l, y + rowH * 0.2, bw, rowH * 0.6);
      ctx.fillStyle = k === top ? P.accent : rgb(P.acc); ctx.fillRect(l, y + rowH * 0.2, bw * p[k], rowH * 0.6);
      ctx.fillStyle = P.text; ctx.font = `${k === top ? "bold " : ""}12px sans-serif`; ctx.textAlign = "right";
      ctx.fillText(this.cls(k), l - 6, y + rowH / 2);
      if (k === tg) { const tw = ctx.measureText(this.cls(k)).width; ctx.fillRect(l - 6 - tw, y + rowH / 2 + 7, tw, 1.5); }
      ctx.textAlign = "left"; ctx.fillText(pct(p[k]), l + bw + 6, y + rowH / 2);
    }
  }

  // Numbers: the input (faint), the target and the prediction along the positions.
  drawRegression(f, cv, w, hh, title) {
    const P = this.pal, ctx = setupCanvas(cv, w, hh), inp = f.input, tg = f.target, o = f.output, T = inp.length;
    const last = o.length === 1;
    title.innerHTML = last ? "the prediction after the last step <i>· the input faint</i>" : "predicted vs target at each position <i>· the input faint</i>";
    const all = [...inp, ...tg, ...o].filter((v) => isFinite(v)), lo = Math.min(0, ...all), hi = Math.max(0, ...all), m = (hi - lo) * 0.08 || 1;
    const l = 44, t = 26, pw = w - l - (last ? 80 : 14), ph = hh - t - 26;
    const X = (i) => l + (T > 1 ? i / (T - 1) : 0.5) * pw, Y = (v) => t + (1 - (v - lo + m) / (hi - lo + 2 * m)) * ph;
    ctx.strokeStyle = P.line; ctx.lineWidth = 1; ctx.strokeRect(l, t, pw, ph);
    ctx.setLineDash([3, 3]); ctx.beginPath(); ctx.moveTo(l, Y(0)); ctx.lineTo(l + pw, Y(0)); ctx.stroke(); ctx.setLineDash([]);
    const series = (ys, off, color, width, dash, alpha) => {
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash); ctx.globalAlpha = alpha; ctx.beginPath();
      ys.forEach((v, i) => ctx[i ? "lineTo" : "moveTo"](X(i + off), Y(v)));
      ctx.stroke(); ctx.setLineDash([]); ctx.globalAlpha = 1;
    };
    series(inp, 0, P.text, 1.5, [], 0.3);
    const tcol = rgb(P.acc);
    const cross = (x, y) => { ctx.strokeStyle = P.loss; ctx.lineWidth = 2.5; ctx.beginPath(); ctx.moveTo(x - 5, y - 5); ctx.lineTo(x + 5, y + 5); ctx.moveTo(x + 5, y - 5); ctx.lineTo(x - 5, y + 5); ctx.stroke(); };
    const dot = (x, y) => { ctx.fillStyle = tcol; ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI); ctx.fill(); };
    if (last) {
      // The answer in its own column right of the input, the target a dot, the output a cross.
      const ax = l + pw + 40;
      ctx.strokeStyle = P.line; ctx.lineWidth = 1; ctx.strokeRect(l + pw + 10, t, 60, ph);
      dot(ax, Y(tg[0])); cross(ax, Y(o[0]));
      ctx.font = "11px sans-serif"; ctx.fillStyle = P.text; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText("answer", ax, hh - 8);
    } else {
      const off = tg.length === T ? 0 : T - tg.length;
      series(tg, off, tcol, 2, [], 1);
      series(o, T - o.length, P.loss, 2, [5, 3], 1);
    }
    ctx.font = "11px sans-serif"; ctx.fillStyle = P.text; ctx.textBaseline = "middle";
    ctx.textAlign = "right"; ctx.fillText(sig(hi), l - 4, Y(hi)); ctx.fillText(sig(lo), l - 4, Y(lo));
    if (lo < 0 && hi > 0) ctx.fillText("0", l - 4, Y(0));
    ctx.textAlign = "center"; ctx.fillText("position", l + pw / 2, hh - 8);
    ctx.textAlign = "left"; ctx.fillText("0", l, hh - 8); ctx.textAlign = "right"; ctx.fillText(String(T - 1), l + pw, hh - 8);
    let lx = l;
    for (const [name, color, dash, alpha] of [["input", P.text, [], 0.35], ["target", tcol, [], 1], ["output", P.loss, [5, 3], 1]]) {
      if (last && name !== "input") { (name === "target" ? dot : cross)(lx + 9, 10); } else {
        ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash); ctx.globalAlpha = alpha;
        ctx.beginPath(); ctx.moveTo(lx, 10); ctx.lineTo(lx + 18, 10); ctx.stroke(); ctx.setLineDash([]); ctx.globalAlpha = 1;
      }
      ctx.textAlign = "left"; ctx.fillStyle = P.text; ctx.fillText(name, lx + 22, 10);
      lx += 30 + ctx.measureText(name).width + 12;
    }
  }

  hoverOut(e) {
    const g = this.outGeom, f = this.current;
    if (!g || !f) { this.tip.hidden = true; return; }
    const p = Math.floor((e.offsetX - g.l) / g.cw), k = Math.floor((e.offsetY - g.t) / g.ch);
    if (p < 0 || k < 0 || p >= g.Tn || k >= g.C) { this.tip.hidden = true; return; }
    const tg = f.target[p];
    this.showTip(e, `position ${p}${p < f.input.length ? ` · input ‘${this.tok(f, p)}’` : ""}\nclass ‘${this.cls(k)}’: ${pct(f.output[p][k])}${tg !== undefined ? `\ntarget ‘${this.cls(tg)}’` : ""}`);
  }

  hoverPos(e) {
    const g = this.posGeom, f = this.current;
    if (!g || !f || !f.positional) { this.tip.hidden = true; return; }
    const j = Math.floor((e.offsetX - g.l) / g.cw), p = Math.floor((e.offsetY - g.t) / g.ch);
    if (j < 0 || p < 0 || j >= g.d || p >= g.T) { this.tip.hidden = true; return; }
    if (!this.posBytes || this.posBytes.src !== f.positional.data) this.posBytes = { src: f.positional.data, b: unb64(f.positional.data) };
    this.showTip(e, `position ${p} · dimension ${j}\nvalue ${sig(decode(this.posBytes.b[p * g.d + j], f.positional.scale))}`);
  }

  // ---- inputs ---------------------------------------------------------------------
  bindInputs() {
    const on = (sel, type, fn) => this.q(sel).addEventListener(type, fn);
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.addEventListener("click", () => this.setTab(b.dataset.tab));
    for (const b of this.el.querySelectorAll("[data-mode]")) {
      b.addEventListener("click", () => {
        this.mode = b.dataset.mode;
        for (const x of this.el.querySelectorAll("[data-mode]")) x.classList.toggle("on", x.dataset.mode === this.mode);
        this.q(".nnp-temp").classList.toggle("off", this.mode !== "weights");
        this.redraw();
      });
    }
    on("[data-testid=nnp-temp]", "input", (e) => {
      const v = clamp(parseFloat(e.target.value) || 0, T_LO, T_HI), tau = Math.abs(v) < 0.015 ? 1 : Math.round(10 ** v * 100) / 100;
      this.temp = tau;
      this.q(".nnp-tval").textContent = tau.toFixed(2);
      e.target.setAttribute("aria-valuetext", `τ = ${tau.toFixed(2)}`);
      this.redraw();
    });
    on("[data-testid=nnp-temp]", "dblclick", (e) => { e.target.value = "0"; e.target.dispatchEvent(new Event("input")); });
    on(".nnp-amaps", "mousemove", (e) => this.hoverGrid(e));
    on(".nnp-amaps", "mouseleave", () => { this.tip.hidden = true; });
    on(".nnp-amaps", "click", (e) => { if (e.target instanceof HTMLCanvasElement) this.clickGrid(e); });
    on(".nnp-out", "mousemove", (e) => this.hoverOut(e));
    on(".nnp-out", "mouseleave", () => { this.tip.hidden = true; });
    on(".nnp-pos", "mousemove", (e) => this.hoverPos(e));
    on(".nnp-pos", "mouseleave", () => { this.tip.hidden = true; });
  }

  // Plain text only, lines split on "\n"; kept inside the view's box.
  showTip(e, text) {
    const r = this.el.getBoundingClientRect();
    this.tip.textContent = text; this.tip.hidden = false;
    this.tip.style.left = px(Math.max(0, Math.min(e.clientX - r.left + 14, r.width - this.tip.offsetWidth - 4)));
    this.tip.style.top = px(e.clientY - r.top + 14);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpView;
  if (!view) view = parentElement.__nnpView = new TransformerView(parentElement, "nnp-tfm", CSS);
  if (data) view.receive(data, setTriggerValue);
}
