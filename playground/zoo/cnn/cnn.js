// The CNN view: a convolutional network trained live, drawn like CNN Explainer. Sent after
// playground/zoo/player.js (Player, the shared playback, and the drawing helpers); every number
// comes from the server (playground/zoo/cnn/frames.py); this file lays out, looks colours up and draws.
//   data: {seq, playing, code_id, scene_id, scene?, curve?, pause_on?, hold_ms?, frames: [frame, ...]}
// Triggers back: pull (seq), need (scene_id), pick {index} (a test index when the gallery has
// `indices`), draw {pixels}, clear (true), explain {layer, channel, y, x} (conv and pooling
// outputs), cell {true, pred}, filters {layer} (a conv layer's box clicked).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

const STICKY = ["confusion", "accuracy", "mistakes", "detail", "cell", "filters"];
const EXPLAINED = ["conv", "maxpool", "avgpool"];  // the layers whose outputs `explain` computes
// One rule a line, by region; .nnp-cnn scopes what could clash with live.css (same class names).
const CSS = `
.nnp-cnn { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b); }
.nnp-cnn * { box-sizing: border-box; }
.nnp-cnn canvas { display: block; }
.nnp-cnn .nnp-status { display: flex; flex-wrap: nowrap; gap: 1.2em; align-items: baseline; height: 34px; min-height: 0; line-height: 1.3; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-cnn .nnp-epoch { font-size: 1.45rem; font-weight: 600; min-width: 6.5em; }
.nnp-cnn .nnp-metrics { font-size: 0.95rem; }
.nnp-cnn .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-arch { display: flex; gap: 14px; margin: 4px 0 10px; }
.nnp-box { position: relative; flex: 1 1 auto; min-width: 0; padding: 3px 6px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); line-height: 15px; font-size: 12px; }
.nnp-box + .nnp-box::before { content: "›"; position: absolute; left: -11px; top: 50%; transform: translateY(-50%); opacity: 0.6; font-size: 14px; }
.nnp-box b { display: block; font-size: 12px; font-weight: 600; }
.nnp-box span { display: block; opacity: 0.8; }
.nnp-box.conv { cursor: pointer; }
.nnp-box.conv:hover, .nnp-box.sel, .nnp-cnn .nnp-btn:hover, .nnp-tab:hover, .nnp-cnn .nnp-btn.on, .nnp-tab.on { border-color: var(--nnp-accent); }
.nnp-body { display: flex; gap: 14px; align-items: flex-start; }
.nnp-main { flex: 1 1 auto; min-width: 0; }
.nnp-left, .nnp-right { flex: none; }
.nnp-sub { font-size: 12px; font-weight: 600; line-height: 16px; height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-sub i { font-weight: 400; font-style: normal; opacity: 0.75; }
.nnp-gallery { display: grid; gap: 3px; }
.nnp-gallery canvas, .nnp-thumbs canvas, .nnp-mgrid canvas, .nnp-vec canvas, .nnp-preview { image-rendering: pixelated; outline: 1px solid var(--nnp-line); }
.nnp-gallery canvas { cursor: pointer; }
.nnp-gallery canvas.on { outline: 2px solid var(--nnp-accent); }
.nnp-gallery canvas.want { outline: 2px dashed var(--nnp-accent); }
.nnp-credit { font-size: 11px; line-height: 13px; height: 26px; margin: 4px 0 6px; opacity: 0.7; overflow: hidden; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.nnp-pad { touch-action: none; cursor: crosshair; border: 1px solid var(--nnp-line); border-radius: 4px; background: var(--nnp-paper); }
.nnp-padbar { display: flex; gap: 8px; align-items: center; margin-top: 6px; font-size: 12px; line-height: 14px; }
.nnp-hint { flex: 1 1 auto; min-width: 0; }
.nnp-cnn .nnp-btn, .nnp-tab { font: inherit; font-size: 12px; line-height: 1; padding: 5px 9px; border-radius: 6px; cursor: pointer; border: 1px solid var(--nnp-line); background: var(--nnp-panel); color: inherit; }
.nnp-cnn .nnp-btn.on, .nnp-tab.on { font-weight: 600; }
.nnp-prow { display: grid; align-items: center; gap: 5px; font-size: 12px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.nnp-lab { overflow: hidden; text-overflow: ellipsis; }
.nnp-bar { height: 62%; border-radius: 2px; background: var(--nnp-panel); position: relative; overflow: hidden; }
.nnp-fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--nnp-bar); }
.nnp-num { text-align: right; }
.nnp-prow.top { font-weight: 700; }
.nnp-prow.top .nnp-fill { background: var(--nnp-accent); }
.nnp-prow.true .nnp-lab { text-decoration: underline; text-underline-offset: 2px; }
.nnp-tabs { display: flex; gap: 6px; height: 30px; align-items: flex-start; }
.nnp-pane { position: relative; overflow: hidden; }
.nnp-mcols { display: flex; justify-content: space-evenly; align-items: flex-start; }
.nnp-mhead { font-size: 12px; line-height: 14px; height: 32px; text-align: center; white-space: nowrap; }
.nnp-mgrid { display: grid; gap: 2px; justify-content: center; }
.nnp-mgrid canvas.x { cursor: crosshair; }
.nnp-vec { display: flex; gap: 4px; justify-content: center; font-size: 12px; white-space: nowrap; }
.nnp-marker { position: absolute; pointer-events: none; outline: 2px solid var(--nnp-accent); outline-offset: 1px; }
.nnp-conv-head { font-size: 12px; line-height: 16px; min-height: 20px; margin-bottom: 4px; display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; }
.nnp-cnn .nnp-conv-head .nnp-btn { padding: 2px 7px; }
.nnp-blocks { display: flex; flex-wrap: wrap; gap: 8px 20px; align-content: flex-start; overflow: hidden; }
.nnp-block { display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; max-width: 100%; }
.nnp-cnn figure { margin: 0; }
.nnp-block figcaption { line-height: 1.3em; opacity: 0.8; white-space: nowrap; }
.nnp-op { font-size: 15px; opacity: 0.7; }
.nnp-grid { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.nnp-grid td { border: 1px solid var(--nnp-line); padding: 0 0.3em; text-align: right; min-width: 2.4em; height: 1.45em; line-height: 1.3em; }
.nnp-grid td.hi { outline: 2px solid var(--nnp-accent); outline-offset: -2px; }
.nnp-eq { font-size: 13px; line-height: 22px; margin: 6px 0; font-variant-numeric: tabular-nums; }
.nnp-chip { padding: 1px 5px; border-radius: 4px; font-weight: 600; }
.nnp-test { display: flex; gap: 16px; align-items: flex-start; }
.nnp-test-right { flex: 1 1 auto; min-width: 0; }
.nnp-confusion { cursor: pointer; }
.nnp-thumbs { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 8px; align-content: flex-start; overflow: hidden; }
.nnp-thumbs figure { font-size: 12px; line-height: 13px; text-align: center; white-space: pre; font-variant-numeric: tabular-nums; }
.nnp-thumbs canvas { margin: 0 auto 1px; }
.nnp-empty { opacity: 0.75; margin: 8px 0; }
.nnp-cnn .nnp-tip { position: absolute; z-index: 10; pointer-events: none; font-size: 12px; padding: 4px 7px; border-radius: 4px; white-space: pre;
background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); border: 1px solid var(--st-border-color, #999); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2); }`;

class CnnView extends Player {
  build() {
    this.STICKY = STICKY;
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
      <span class="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-arch"></div>
      <div class="nnp-body">
      <div class="nnp-left"><div class="nnp-sub">test images <i>· click one</i></div><div class="nnp-gallery"></div>
      <div class="nnp-credit"></div>
      <canvas class="nnp-pad" data-testid="nnp-pad"></canvas>
      <div class="nnp-padbar"><span class="nnp-hint"></span><canvas class="nnp-preview" title="what the network sees"></canvas>
      <button type="button" class="nnp-btn" data-testid="nnp-clear">Clear</button></div></div>
      <div class="nnp-main"><div class="nnp-tabs">
      <button type="button" class="nnp-tab" data-tab="maps" data-testid="nnp-tab-maps">Feature maps</button>
      <button type="button" class="nnp-tab" data-tab="conv" data-testid="nnp-tab-conv">Convolution</button>
      <button type="button" class="nnp-tab" data-tab="test" data-testid="nnp-tab-test">Test set</button></div>
      <div class="nnp-pane" data-pane="maps"><div class="nnp-mcols"></div><div class="nnp-marker" hidden></div></div>
      <div class="nnp-pane" data-pane="conv"><div class="nnp-conv-head"></div><div class="nnp-blocks"></div><div class="nnp-eq"></div>
      <div class="nnp-sub nnp-filt-title"></div><canvas class="nnp-filters"></canvas></div>
      <div class="nnp-pane" data-pane="test"><div class="nnp-test"><div class="nnp-test-left"><div class="nnp-sub nnp-conf-title"></div>
      <canvas class="nnp-confusion" data-testid="nnp-confusion"></canvas></div>
      <div class="nnp-test-right"><div class="nnp-sub nnp-cell-title"></div><div class="nnp-thumbs nnp-cell"></div>
      <div class="nnp-sub">most confident mistakes <i>· true→pred.</i></div><div class="nnp-thumbs nnp-mistakes"></div></div></div></div></div>
      <div class="nnp-right"><div class="nnp-sub">class probabilities <i>· <u>true</u> label</i></div><div class="nnp-probs"></div>
      <canvas class="nnp-curve"></canvas></div></div>
      <div class="nnp-tip" hidden></div>`;
    this.tip = this.q(".nnp-tip");
    Object.assign(this, { tab: "maps", want: {}, drawnKeys: {}, mapData: {} });
    this.bindInputs();
    window.__nnpCnn = this;  // for tests: framesShown, lastFrame, tab
  }

  // A frame not drawn still adds its sticky parts (detail: null = could not explain).
  absorb(f) {
    super.absorb(f);
    if ("detail" in f && !f.detail) delete this.want.explain;
  }

  // ---- scene and theme ------------------------------------------------------------
  onScene(scene) {
    Object.assign(this, { drawnKeys: {}, mapData: {}, want: {} });
    const cl = scene.classes, G = scene.gallery;
    this.boxes = scene.layers.map((ly, i) => {
      const conv = ly.kind === "conv", params = ly.params ? ly.params.toLocaleString("en-US") + " params" : "no params";
      const b = h("div", "nnp-box" + (conv ? " conv" : ""), null, { title: ly.label + (conv ? "\nclick: its filters" : "") });
      b.append(h("b", "", ly.label), h("span", "", ly.shape.join("×")), h("span", "", params));
      if (conv) b.addEventListener("click", () => this.chooseFilters(i));
      return b;
    });
    this.q(".nnp-arch").replaceChildren(...this.boxes);
    this.galleryPixels = unb64(G.pixels);
    this.thumbs = G.labels.map((lab, i) => {
      const c = h("canvas", "", null, { "data-testid": "nnp-gallery-" + i, title: `test image ${i} · label ${cl[lab]}` });
      c.addEventListener("click", () => this.pick(i));
      return c;
    });
    this.q(".nnp-gallery").replaceChildren(...this.thumbs);
    const credit = this.q(".nnp-credit");
    credit.textContent = credit.title = scene.credit || "";
    const digits = cl.every((c) => /^\d$/.test(c));
    this.q(".nnp-hint").textContent = digits ? "draw a digit above" : `draw a ${cl.slice(0, -1).join(", ")} or ${cl[cl.length - 1]} above`;
    this.probRows = cl.map((name, k) => {
      const r = h("div", "nnp-prow", null, { "data-testid": "nnp-prob-" + k }), bar = h("span", "nnp-bar"), num = h("span", "nnp-num", "–");
      r.append(h("span", "nnp-lab", name), bar, num);
      return { r, num, fill: bar.appendChild(h("span", "nnp-fill")) };
    });
    this.q(".nnp-probs").replaceChildren(...this.probRows.map((p) => p.r));
    this.inkClear();
    this.paintGallery();
  }

  // Images: ink dark on white paper, as printed; on a dark page light ink on dark paper.
  onTheme(pal) {
    const paper = pal.dark ? [30, 32, 40] : [255, 255, 255], ink = pal.dark ? [240, 240, 240] : [20, 20, 24];
    Object.assign(pal, { ink, grey: Array.from({ length: 256 }, (_, b) => mix(paper, ink, b / 255)) });
    this.el.style.setProperty("--nnp-paper", rgb(paper));
    this.el.style.setProperty("--nnp-bar", `rgba(${pal.acc.join(",")},0.5)`);
    this.drawnKeys = {};
    if (this.scene) { this.paintGallery(); this.renderPad(); }
  }

  paintGallery() {
    const G = this.scene.gallery;
    if (this.pal) this.thumbs.forEach((c, i) => indexImage(c, this.galleryPixels, i * G.h * G.w, G.w, G.h, this.pal.grey));
  }

  // ---- layout: sized to the viewport, like live.js -----------------------------------
  // Left: the input (gallery, pad); middle: the tabs; right: the output (probabilities, curves).
  sizes() {
    const S = this.scene, W = Math.max(640, this.el.clientWidth || 1000), gap = 14;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 28, 440, 1100);
    const bodyH = avail - 34 - this.q(".nnp-arch").offsetHeight - 14;
    const leftW = Math.round(clamp(W * 0.2, W < 900 ? 150 : 196, 330)), rightW = Math.round(clamp(W * 0.21, W < 900 ? 150 : 200, 400));
    const cols = clamp(Math.floor(leftW / 24), 4, 8), rows = Math.ceil(S.gallery.n / cols);
    const thumb = Math.floor(Math.min((leftW - 3 * (cols - 1)) / cols, (bodyH * 0.3) / rows - 3));
    const pad = Math.floor(clamp(bodyH - 18 - rows * (thumb + 3) - 36 - 40, 100, Math.min(leftW, 300)));
    const nc = S.classes.length, rowH = Math.floor(clamp((bodyH * 0.42 - 18) / nc, 15, 26));
    return { bodyH, leftW, rightW, mainW: W - leftW - rightW - 2 * gap, paneH: bodyH - 30, cols, thumb, pad, rowH, curveH: bodyH - 26 - nc * rowH };
  }

  applySizes(s) {
    this.q(".nnp-left").style.width = px(s.leftW);
    this.q(".nnp-right").style.width = px(s.rightW);
    this.q(".nnp-body").style.height = px(s.bodyH);
    for (const p of this.el.querySelectorAll(".nnp-pane")) { p.style.height = px(s.paneH); p.hidden = p.dataset.pane !== this.tab; }
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.classList.toggle("on", b.dataset.tab === this.tab);
    this.q(".nnp-gallery").style.gridTemplateColumns = `repeat(${s.cols}, ${s.thumb}px)`;
    for (const c of this.thumbs) sized(c, s.thumb, s.thumb);
    const lab = Math.min(90, 14 + 7 * Math.max(...this.scene.classes.map((c) => c.length)));
    for (const { r } of this.probRows) { r.style.height = px(s.rowH); r.style.gridTemplateColumns = `${lab}px 1fr 46px`; }
    setupCanvas(this.q(".nnp-pad"), s.pad - 2, s.pad - 2);
    sized(this.q(".nnp-preview"), 40, Math.round(40 * this.scene.input.h / this.scene.input.w));
    this.renderPad();
    this.buildMaps(s);
    this.drawnKeys = {};
  }

  redraw() {
    if (!this.scene || !this.pal) return;
    if (!this.sz) this.applySizes((this.sz = this.sizes()));
    const f = this.current;
    this.drawStatus(f);
    this.drawChosen(f);
    this.drawProbs(f);
    drawCurve(this.q(".nnp-curve"), this.sz.rightW, Math.max(120, this.sz.curveH), this.curve, this.pal, true);
    if (this.tab === "maps") this.drawMaps(f);
    else if (this.tab === "conv") this.drawConv();
    else this.drawTest();
  }

  setTab(tab) {
    this.tab = tab;
    this.sz = null;
    this.redraw();
  }

  // ---- status, chosen image, probabilities, curves -----------------------------------
  drawStatus(f) {
    // Mid-epoch frames (a big data set's epoch comes in parts) say how far into the next epoch.
    const into = f && f.part ? ` + ${f.part}/${f.parts}` : "";
    const label = "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US") + into, el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;  // one DOM change per new state
    // Mid-epoch the losses are the last finished epoch's: show that epoch's accuracy beside them.
    const last = (k) => (this.curve[k] || []).slice(-1)[0] ?? null;
    const acc = f && f.part ? last("test_accuracy") ?? this.sticky.accuracy : this.sticky.accuracy ?? last("test_accuracy");
    const parts = [];
    if (acc !== null) parts.push(`test accuracy <b>${pct(acc)}</b>`);
    for (const k of ["train_loss", "test_loss"]) if (last(k) !== null) parts.push(`${k.replace("_", " ")} <b>${sig(last(k))}</b>`);
    parts.push(`${this.scene.layers.reduce((a, ly) => a + (ly.params || 0), 0).toLocaleString("en-US")} parameters`);
    const html = parts.join(" · ");
    if (this.metricsHtml !== html) this.q(".nnp-metrics").innerHTML = this.metricsHtml = html;
  }

  // The chosen thumbnail outlined (dashed from the click until a frame shows it).
  drawChosen(f) {
    const ch = (f && f.chosen) || {}, on = ch.source === "gallery" ? this.galleryPos(ch.index) : -1, w = this.want;
    if (w.pick !== undefined && (on === w.pick || performance.now() - w.pickAt > 5000)) delete w.pick;
    this.thumbs.forEach((c, i) => { c.classList.toggle("on", i === on); c.classList.toggle("want", i === w.pick && i !== on); });
    if (f && f.input && this.drawnKeys.input !== f.input) {
      const I = this.scene.input;
      indexImage(this.q(".nnp-preview"), unb64(f.input), 0, I.w, I.h, this.pal.grey);
      this.drawnKeys.input = f.input;
    }
  }

  drawProbs(f) {
    const p = (f && f.probs) || [], truth = f && f.chosen ? f.chosen.label : null, top = p.indexOf(Math.max(...p));
    this.probRows.forEach(({ r, fill, num }, k) => {
      const v = p[k] === undefined ? null : pct(p[k]);
      fill.style.width = v || "0"; num.textContent = v || "–";
      r.classList.toggle("top", k === top);
      r.classList.toggle("true", k === truth);
      r.title = k === truth ? "the image's true label" : "";
    });
  }

  // ---- feature maps ----------------------------------------------------------------
  // One column per layer (dropout is the identity at test time, so it gets none): a spatial
  // layer is a grid of tiles, one per channel, all tiles one size, the largest that fits; a
  // vector layer is a strip of cells, wrapped into a few columns when it is long.
  buildMaps(s) {
    const W = s.mainW, Hc = s.paneH - 36, gap = 2, minCol = W < 480 ? 36 : 44, colGap = W < 480 ? 4 : 8, cl = this.scene.classes;
    const cols = this.scene.layers.map((ly, i) => ({ ly, i, n: ly.shape[0] })).filter((c) => c.ly.kind !== "dropout");
    const spatial = cols.filter((c) => c.ly.shape.length === 3), vec = cols.filter((c) => c.ly.shape.length !== 3);
    for (const c of vec) {
      c.sh = clamp(Hc / c.n, 2, 20); c.sw = c.n <= 16 ? Math.max(c.sh, 14) : Math.round(clamp(W / 60, 12, 22));
      c.C = Math.ceil(c.n / Math.max(1, Math.floor(Hc / c.sh + 1e-6))); c.R = Math.ceil(c.n / c.C);
      c.labels = c.ly.kind === "output" && c.n === cl.length && c.sh >= 12;
      c.width = Math.max(minCol, c.C * c.sw + (c.labels ? 8 + 6.5 * Math.max(...cl.map((x) => x.length)) : 0));
    }
    const perCol = (t) => Math.floor((Hc + gap) / (t + gap)), gridW = (c, t) => Math.ceil(c.ly.shape[2] / perCol(t)) * (t + gap) - gap;
    const fixed = colGap * (cols.length - 1) + vec.reduce((a, c) => a + c.width, 0);
    const fits = (t) => spatial.reduce((a, c) => a + Math.max(minCol, gridW(c, t)), fixed) <= W;
    let t = 6;
    while (t < 160 && perCol(t + 1) >= 1 && fits(t + 1)) t++;
    this.mapCols = {};
    this.q(".nnp-mcols").replaceChildren(...cols.map((c) => {
      const col = h("div"), head = col.appendChild(h("div", "nnp-mhead", null, { title: c.ly.label })), tiles = [];
      // Narrow: the kind only (the shape is in the architecture strip and the tooltip).
      if (minCol < 44) head.append(h("div", "", c.ly.kind.replace(/^(max|avg)pool$/, "pool").replace("flatten", "flat")));
      else head.append(h("div", "", c.ly.kind), h("div", "", c.ly.shape.join("×")));
      this.mapCols[c.i] = { ly: c.ly, tiles };
      if (c.ly.shape.length === 3) {
        const [hh, ww, ch] = c.ly.shape, grid = col.appendChild(h("div", "nnp-mgrid"));
        grid.style.gridTemplateColumns = `repeat(${Math.ceil(ch / perCol(t))}, ${t}px)`;
        col.style.width = px(Math.max(minCol, gridW(c, t)));
        for (let j = 0; j < ch; j++) {
          const cv = h("canvas", EXPLAINED.includes(c.ly.kind) ? "x" : "", null, { "data-layer": c.i, "data-channel": j });
          tiles.push(grid.appendChild(sized(cv, t, Math.round(t * hh / ww))));
        }
      } else {
        const row = col.appendChild(h("div", "nnp-vec"));
        col.style.width = px(c.width);
        const cv = h("canvas", "", null, { "data-layer": c.i, "data-channel": 0, "data-vec": `${c.C},${c.R}` });
        tiles.push(row.appendChild(sized(cv, c.C * c.sw, Math.round(c.R * c.sh))));
        if (c.labels) row.appendChild(h("div")).append(...cl.map((name) => h("div", "", name, { style: `height:${c.sh}px;line-height:${c.sh}px` })));
      }
      return col;
    }));
  }

  drawMaps(f) {
    if (!f) return;
    const I = this.scene.input, inCol = this.mapCols[0], maps = (f.maps || []).slice();
    if (inCol && f.input && this.drawnKeys.mapInput !== f.input) {
      const bytes = unb64(f.input);
      inCol.tiles.forEach((cv, j) => indexImage(cv, bytes, j * I.h * I.w, I.w, I.h, this.pal.grey));
      this.drawnKeys.mapInput = f.input;
    }
    // The output layer's map may be left out for the probabilities: drawn from them (0..1).
    const out = this.scene.layers.findIndex((ly) => ly.kind === "output");
    if (out > 0 && f.probs && !maps.some((m) => m.layer === out)) {
      maps.push({ layer: out, shape: [f.probs.length], scale: 1, bytes: Uint8Array.from(f.probs, (p) => Math.round(128 + 127 * p)) });
    }
    for (const m of maps) {
      const col = this.mapCols[m.layer];
      if (!col || m.layer === 0) continue;
      const bytes = m.bytes || unb64(m.data);
      this.mapData[m.layer] = { bytes, scale: m.scale };
      if (m.shape.length === 3) {
        // A wide layer may come with its first channels only: the others are drawn blank.
        const [hh, ww, sent] = m.shape, blank = new Uint8Array(hh * ww).fill(128);
        col.tiles.forEach((cv, j) => indexImage(cv, j < sent ? bytes : blank, j < sent ? j * hh * ww : 0, ww, hh, this.pal.div));
      } else {
        // Column-major cells: unit k sits in column floor(k / R), row k % R.
        const cv = col.tiles[0], [C, R] = cv.dataset.vec.split(",").map(Number), cells = new Uint8Array(C * R).fill(128);
        for (let k = 0; k < bytes.length; k++) cells[(k % R) * C + Math.floor(k / R)] = bytes[k];
        indexImage(cv, cells, 0, C, R, this.pal.div);
      }
    }
    this.placeMarker();
  }

  // The pixel being explained, outlined on its tile.
  placeMarker() {
    const mk = this.q(".nnp-marker"), d = this.want.explain || this.sticky.detail;
    const col = d && this.mapCols[d.layer], cv = col && col.tiles[d.channel];
    if (!cv || d.y === null || d.y === undefined || col.ly.shape.length !== 3) { mk.hidden = true; return; }
    const [hh, ww] = col.ly.shape, pw = cv.offsetWidth / ww, ph = cv.offsetHeight / hh;
    const r = cv.getBoundingClientRect(), o = mk.parentElement.getBoundingClientRect();
    Object.assign(mk.style, { left: px(r.left - o.left + d.x * pw), top: px(r.top - o.top + d.y * ph), width: px(pw), height: px(ph) });
    mk.hidden = false;
  }

  // Which unit of a map canvas a mouse event is over: {layer, channel, y, x, value, ly}.
  mapPoint(e) {
    const cv = e.target;
    if (!(cv instanceof HTMLCanvasElement) || cv.dataset.layer === undefined) return null;
    const layer = +cv.dataset.layer, ly = this.scene.layers[layer], md = this.mapData[layer];
    const u = e.offsetX / cv.offsetWidth, v = e.offsetY / cv.offsetHeight;
    if (u < 0 || u >= 1 || v < 0 || v >= 1) return null;
    if (ly.shape.length === 3) {
      const [hh, ww] = ly.shape, y = Math.floor(v * hh), x = Math.floor(u * ww), channel = +cv.dataset.channel, at = channel * hh * ww + y * ww + x;
      const input = layer === 0 && this.current && this.current.input;
      const value = input ? unb64(input)[at] / 255 : md && at < md.bytes.length ? decode(md.bytes[at], md.scale) : null;
      return { layer, channel, y, x, ly, value };
    }
    const [C, R] = cv.dataset.vec.split(",").map(Number), k = Math.floor(u * C) * R + Math.floor(v * R);
    return k < ly.shape[0] ? { layer, channel: k, y: null, x: null, ly, value: md ? decode(md.bytes[k], md.scale) : null } : null;
  }

  hoverMap(e) {
    const p = this.mapPoint(e);
    if (!p) { this.tip.hidden = true; return; }
    const where = p.y === null ? `unit ${p.channel}` : `channel ${p.channel} · row ${p.y}, col ${p.x}`;
    const pr = this.current && this.current.probs, out = p.ly.kind === "output";
    const cls = out ? ` (${this.scene.classes[p.channel]}${pr ? `, probability ${pct(pr[p.channel])}` : ""})` : "";
    const how = EXPLAINED.includes(p.ly.kind) ? "\nclick: how was it computed?" : "";
    this.showTip(e, `${p.ly.label}\n${where}${cls}\nvalue ${sig(p.value)}${how}`);
  }

  clickMap(e) {
    const p = this.mapPoint(e);
    if (!p || !EXPLAINED.includes(p.ly.kind)) return;
    const v = { layer: p.layer, channel: p.channel, y: p.y, x: p.x };
    this.want.explain = { ...v, at: performance.now() };
    this.send("explain", v);
    this.tip.hidden = true;
    this.setTab("conv");
  }

  // ---- convolution: the arithmetic of one output pixel, and the learned filters --------
  drawConv() {
    const d = this.sticky.detail, w = this.want.explain, head = this.q(".nnp-conv-head"), blocks = this.q(".nnp-blocks");
    const done = w && d && ["layer", "channel", "y", "x"].every((k) => (d[k] ?? null) === (w[k] ?? null));
    if (w && (done || performance.now() - w.at > 5000)) delete this.want.explain;
    this.drawFilters();
    if (!d || this.want.explain) {
      head.textContent = this.want.explain ? "computing…" : "click a pixel of a feature map to see how it was computed";
      blocks.innerHTML = ""; this.q(".nnp-eq").innerHTML = ""; this.convKey = null;
      return;
    }
    const key = [d.layer, d.channel, d.y, d.x, d.kind, d.kh, d.kw, d.cin, d.window, this.convPage, this.sz.mainW, this.filtersH].join();
    if (key !== this.convKey) {
      // Start big (a 3×3 kernel in a tall pane gets large numbers); while too tall, show one
      // input channel fewer, then use a smaller font.
      this.convKey = key; this.convN = 4;
      this.convFont = clamp(Math.floor(this.sz.paneH / (1.6 * ((d.kh || d.window || 1) + 2))), 11, 16);
      this.buildConv(d);
    }
    this.fillConv(d);
    while (blocks.scrollHeight > blocks.clientHeight + 1 && (this.convN > 1 || this.convFont > 11)) {
      if (this.convN > 1) this.convN--; else this.convFont--;
      this.buildConv(d); this.fillConv(d);
    }
  }

  tint(v, hi) {
    const P = this.pal;
    return rgb(mix(P.zero, v < 0 ? P.neg : P.pos, 0.55 * clamp(Math.abs(v) / (hi || 1), 0, 1)));
  }

  // Patch × kernel = products, a block per input channel (as many as fit, up to 4; a pager for
  // the rest), or a pooling window: the grids, empty (fillConv writes the numbers every frame).
  buildConv(d) {
    const ly = this.scene.layers[d.layer], head = this.q(".nnp-conv-head"), blocks = this.q(".nnp-blocks"), cin = d.cin || 1;
    const n = Math.min(this.convN, cin), page = Math.floor(Math.min(this.convPage || 0, cin - 1) / n) * n;
    const where = d.y === null || d.y === undefined ? `unit ${d.channel}` : `channel ${d.channel} · row ${d.y}, col ${d.x}`;
    this.convCells = []; this.convSums = [];
    head.replaceChildren(h("b", "", `${ly ? ly.label : "layer " + d.layer} · ${where}`));
    if (d.kind === "conv" && cin > n) {
      head.appendChild(h("span", "", `· input channel${n > 1 ? "s" : ""}`));
      for (let p = 0; p < cin; p += n) {
        const name = n > 1 ? `${p}–${Math.min(cin, p + n) - 1}` : p;
        const btn = head.appendChild(h("button", "nnp-btn" + (p === page ? " on" : ""), name, { type: "button" }));
        btn.addEventListener("click", () => { this.convPage = p; this.redraw(); });
      }
    }
    const grid = (arr, title, rows, cols, at) => {
      const fig = h("figure"), tb = h("table", "nnp-grid");
      for (let r = 0; r < rows; r++) {
        const tr = tb.appendChild(h("tr"));
        for (let c = 0; c < cols; c++) this.convCells.push([tr.appendChild(h("td")), arr, at(r, c)]);
      }
      fig.append(h("figcaption", "", title), tb);
      return fig;
    };
    blocks.replaceChildren();
    blocks.style.fontSize = px(this.convFont);
    blocks.style.maxHeight = px(this.sz.paneH - head.offsetHeight - 42 - this.filtersH);
    if (d.kind === "maxpool" || d.kind === "avgpool") {
      const k = d.window;
      blocks.appendChild(h("div", "nnp-block")).appendChild(grid("values", `${k}×${k} window of the layer below`, k, k, (r, c) => r * k + c));
    }
    if (d.kind !== "conv") return;
    const at = (ci) => (r, c) => (r * d.kw + c) * cin + ci;
    for (let ci = page; ci < Math.min(cin, page + n); ci++) {
      const prod = grid("products", "", d.kh, d.kw, at(ci));
      blocks.appendChild(h("div", "nnp-block")).append(grid("patch", `input patch${cin > 1 ? ", channel " + ci : ""}`, d.kh, d.kw, at(ci)),
        h("span", "nnp-op", "×"), grid("kernel", "kernel", d.kh, d.kw, at(ci)), h("span", "nnp-op", "="), prod);
      this.convSums.push([prod.firstChild, ci]);
    }
  }

  // The numbers: cells tinted by their share of their grid's largest magnitude; the pool's
  // maximum outlined; then the equation down to the output.
  fillConv(d) {
    const hi = {}, best = d.kind === "maxpool" ? d.values.indexOf(Math.max(...d.values)) : -1;
    for (const [td, arr, i] of this.convCells) {
      hi[arr] = hi[arr] || Math.max(1e-9, ...d[arr].map(Math.abs));
      td.textContent = sig(d[arr][i]);
      td.style.background = this.tint(d[arr][i], hi[arr]);
      td.classList.toggle("hi", i === best);
    }
    for (const [cap, ci] of this.convSums) {
      let sum = 0;
      for (let i = ci; i < d.products.length; i += d.cin || 1) sum += d.products[i];
      cap.textContent = `products · Σ ${sig(sum)}`;
    }
    const top = Math.max(1e-9, ...[d.sum, d.bias, d.z, d.out].filter(isFinite).map(Math.abs));
    const c = (v) => `<span class="nnp-chip" style="background:${this.tint(v, top)}">${sig(v)}</span>`;
    let eq = `<b>out</b> ${c(d.out)}`;
    const act = esc(d.activation || "identity");
    if (d.kind === "conv") eq = `Σ products${d.cin > 1 ? ` of all ${d.cin} input channels` : ""} ${c(d.sum)} + bias ${c(d.bias)} = z ${c(d.z)} → ${act} → ${eq}`;
    else if (d.kind === "maxpool" || d.kind === "avgpool") eq = `${d.kind === "maxpool" ? "max" : "mean"} of the window → ${eq}`;
    else if (isFinite(d.z)) eq = `z ${c(d.z)} → ${act} → ${eq}`;
    this.q(".nnp-eq").innerHTML = eq;
  }

  // The learned kernels of one conv layer as pictures: a column per filter, a row per input
  // channel (as many as fit), the filter of the explained channel outlined.
  drawFilters() {
    const F = this.sticky.filters, d = this.sticky.detail, title = this.q(".nnp-filt-title"), cv = this.q(".nnp-filters");
    const w = this.sz.mainW, hh = Math.round(clamp(this.sz.paneH * 0.3, 70, 240)) - 18;
    const key = [F && F.data, w, hh, d && d.layer, d && d.channel].join();
    if (this.drawnKeys.filters === key) return;
    this.drawnKeys.filters = key;
    if (!F) { title.textContent = "learned filters: none yet"; setupCanvas(cv, w, 1); this.filtersH = 20; return; }
    const [kh, kw, cin, cout] = F.shape, ly = this.scene.layers[F.layer], bytes = unb64(F.data), P = this.pal;
    const t = Math.floor(clamp((w - 4) / cout - 3, 4, 90)), rows = clamp(Math.floor((hh + 3) / (t + 3)), 1, cin), th = t * kh / kw;
    this.boxes.forEach((b, j) => b.classList.toggle("sel", j === F.layer));
    this.filtersH = rows * (t + 3) + 20;
    const which = `${cout} filters${cin > 1 ? `, input channels 0–${rows - 1} of ${cin}` : ""}`;
    title.innerHTML = `learned filters · ${esc(ly ? ly.label : "")} <i>· ${which} · click a conv layer above for another</i>`;
    const ctx = setupCanvas(cv, w, rows * (t + 3) + 2), small = h("canvas");
    ctx.imageSmoothingEnabled = false; ctx.lineWidth = 1;
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < rows; i++) {
        ctx.drawImage(indexImage(small, bytes, (o * cin + i) * kh * kw, kw, kh, P.div), 2 + o * (t + 3), 2 + i * (t + 3), t, th);
        ctx.strokeStyle = P.line; ctx.strokeRect(1.5 + o * (t + 3), 1.5 + i * (t + 3), t + 1, th + 1);
      }
    }
    if (d && d.layer === F.layer) {
      ctx.strokeStyle = P.accent; ctx.lineWidth = 2; ctx.strokeRect(1 + d.channel * (t + 3), 1, t + 2, rows * (t + 3) - 1);
    }
  }

  chooseFilters(i) {
    this.send("filters", { layer: i });
    this.setTab("conv");
  }

  // ---- test set: confusion matrix, one cell's images, the most confident mistakes -------
  drawTest() {
    const s = this.sz, M = this.sticky.confusion, acc = this.sticky.accuracy, side = Math.floor(Math.min(s.paneH - 18, s.mainW * 0.55));
    this.q(".nnp-conf-title").innerHTML = `confusion matrix${acc !== undefined ? ` · test accuracy ${pct(acc)}` : ""} <i>· click a cell</i>`;
    const key = [M && M.join(), side, this.want.cell].join("|");
    if (this.drawnKeys.conf !== key) { this.drawnKeys.conf = key; this.drawConfusion(side, M); }
    this.q(".nnp-test-left").style.width = px(side);
    const C = this.sticky.cell, X = this.sticky.mistakes || [], rightW = s.mainW - side - 16;
    if (this.drawnKeys.cell === C && this.drawnKeys.mistakes === this.sticky.mistakes && this.drawnKeys.thumbsW === rightW) return;
    Object.assign(this.drawnKeys, { cell: C, mistakes: this.sticky.mistakes, thumbsW: rightW });
    const cl = this.scene.classes, G = this.scene.gallery, cellPx = C ? unb64(C.pixels) : [], k = Math.round(cellPx.length / (G.h * G.w));
    // One thumbnail size for both lists, the largest with which both fit; a mistake's caption is
    // "true→predicted confidence", on two lines when the class names are words.
    const long = cl.some((c) => c.length > 2), capH = long ? 28 : 14;
    const capW = Math.ceil(6.5 * (long ? 2 * Math.max(...cl.map((c) => c.length)) + 1 : 9));
    const rows = (t, n, w) => Math.ceil(n / Math.max(1, Math.floor((rightW + 4) / (Math.max(t, w) + 4))));
    let t = 64;
    while (t > 16 && rows(t, k, 0) * (t + 4) + rows(t, X.length, capW) * (t + capH + 5) > s.paneH - 44) t -= 2;
    this.q(".nnp-cell-title").innerHTML = C ? `true ${esc(cl[C.true])} → predicted ${esc(cl[C.pred])} <i>· ${k < C.count ? `${k} of ` : ""}${C.count}</i>`
      : "<i>click a cell of the matrix to see its images</i>";
    const cellBox = this.q(".nnp-cell");
    cellBox.replaceChildren(...Array.from({ length: k }, (_, i) => this.thumb(cellPx, i, t)));
    cellBox.style.height = px(k ? rows(t, k, 0) * (t + 4) : 8);
    this.q(".nnp-mistakes").replaceChildren(...X.map((m) => {
      const fig = this.thumb(unb64(m.pixels), 0, t, `${cl[m.label]}→${cl[m.pred]}${long ? "\n" : " "}${m.confidence >= 0.995 ? (Math.floor(1000 * m.confidence) / 10).toFixed(1) : Math.round(100 * m.confidence)}%`);
      fig.style.width = px(Math.max(t, capW));
      fig.title = `test image ${m.index}: true ${cl[m.label]}, predicted ${cl[m.pred]} with ${pct(m.confidence)}`;
      return fig;
    }), ...(X.length ? [] : [h("div", "nnp-empty", this.sticky.mistakes ? "no mistakes" : "–")]));
  }

  thumb(bytes, i, t, caption) {
    const G = this.scene.gallery, fig = h("figure");
    fig.appendChild(indexImage(sized(h("canvas"), t, t), bytes, i * G.h * G.w, G.w, G.h, this.pal.grey));
    if (caption) fig.appendChild(h("figcaption", "", caption));
    return fig;
  }

  // Rows true, columns predicted; a cell's colour is its share of its row: the diagonal in
  // the accuracy blue, confusions in orange.
  drawConfusion(side, M) {
    const P = this.pal, cl = this.scene.classes, n = cl.length, ctx = setupCanvas(this.q(".nnp-confusion"), side, side);
    ctx.font = "12px sans-serif"; ctx.fillStyle = P.text; ctx.textBaseline = "middle"; ctx.textAlign = "center";
    const l = Math.max(...cl.map((c) => ctx.measureText(c).width)) + 22, t = 30, cell = Math.floor(Math.min(side - l, side - t) / n);
    this.confGeom = { l, t, cell, n };
    ctx.fillText("predicted", l + cell * n / 2, 7);
    ctx.save(); ctx.translate(7, t + cell * n / 2); ctx.rotate(-Math.PI / 2); ctx.fillText("true", 0, 0); ctx.restore();
    for (let k = 0; k < n; k++) {
      const short = ctx.measureText(cl[k]).width <= cell - 2 ? cl[k] : cl[k].slice(0, Math.max(1, Math.floor(cell / 7)));
      ctx.textAlign = "center"; ctx.fillText(short, l + (k + 0.5) * cell, t - 8);
      ctx.textAlign = "right"; ctx.fillText(cl[k], l - 4, t + (k + 0.5) * cell);
    }
    ctx.strokeStyle = P.line; ctx.strokeRect(l, t, cell * n, cell * n);
    if (!M) return;
    ctx.font = `${clamp(Math.floor(cell * 0.38), 11, 15)}px sans-serif`; ctx.textAlign = "center";
    for (let r = 0; r < n; r++) {
      const tot = Math.max(1, M[r].reduce((a, b) => a + b, 0));
      for (let c = 0; c < n; c++) {
        const v = M[r][c], col = mix(P.zero, r === c ? P.acc : P.pos, v ? 0.15 + 0.85 * Math.sqrt(v / tot) : 0);
        ctx.fillStyle = rgb(col); ctx.fillRect(l + c * cell + 0.5, t + r * cell + 0.5, cell - 1, cell - 1);
        ctx.fillStyle = luma(col) > 150 ? "#1a1a1a" : "#ffffff";
        if (v) ctx.fillText(String(v), l + (c + 0.5) * cell, t + (r + 0.5) * cell + 1);
      }
    }
    const sel = this.want.cell;
    if (sel) { ctx.strokeStyle = P.accent; ctx.lineWidth = 2; ctx.strokeRect(l + sel[1] * cell + 1, t + sel[0] * cell + 1, cell - 2, cell - 2); }
  }

  clickConfusion(e) {
    const G = this.confGeom, c = G && Math.floor((e.offsetX - G.l) / G.cell), r = G && Math.floor((e.offsetY - G.t) / G.cell);
    if (!G || r < 0 || c < 0 || r >= G.n || c >= G.n) return;
    this.want.cell = [r, c];
    this.send("cell", { true: r, pred: c });
    this.redraw();
  }

  // ---- gallery and drawing pad -------------------------------------------------------
  // gallery.indices (optional) maps a thumbnail to its test-set index, which pick sends and
  // chosen.index names; without it the two are the thumbnail's position.
  galleryPos(index) {
    const I = this.scene.gallery.indices;
    return I ? I.indexOf(index) : index;
  }

  pick(i) {
    this.inkClear();
    Object.assign(this.want, { pick: i, pickAt: performance.now() });
    this.send("pick", { index: this.scene.gallery.indices ? this.scene.gallery.indices[i] : i });
    this.redraw();
  }

  // Strokes go to an offscreen buffer of K × K ink cells per input pixel; a finished stroke is
  // averaged down to the input's h × w, the way MNIST's digits were anti-aliased.
  inkClear() {
    const I = this.scene.input;
    this.ink = this.ink || h("canvas");
    this.ink.width = I.w * 8; this.ink.height = I.h * 8;
    this.renderPad();
  }

  // The pad shows the ink buffer in the theme's ink colour, on CSS paper.
  renderPad() {
    const w = parseFloat(this.q(".nnp-pad").style.width) || 0, I = this.scene && this.scene.input;
    if (!w || !this.pal || !this.ink) return;
    const ctx = setupCanvas(this.q(".nnp-pad"), w, w);
    ctx.drawImage(this.ink, 0, 0, w, w);
    ctx.globalCompositeOperation = "source-atop";
    ctx.fillStyle = rgb(this.pal.ink); ctx.fillRect(0, 0, w, w);
    // MNIST centres its digits in a 20×20 box of the 28×28 image: show where to draw (behind the ink).
    ctx.globalCompositeOperation = "destination-over";
    if (I.w >= 20) { ctx.strokeStyle = this.pal.line; ctx.setLineDash([4, 4]); ctx.strokeRect(w / 7, w / 7, w * 5 / 7, w * 5 / 7); ctx.setLineDash([]); }
    ctx.globalCompositeOperation = "source-over";
  }

  stroke(e) {
    const r = this.q(".nnp-pad").getBoundingClientRect(), ctx = this.ink.getContext("2d"), K = 8;
    const p = [(e.clientX - r.left) / r.width * this.ink.width, (e.clientY - r.top) / r.height * this.ink.height], a = this.penAt || p;
    ctx.strokeStyle = "#000"; ctx.lineCap = ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(1.4, 0.1 * this.scene.input.w) * K;  // MNIST's strokes are ~2.5 pixels wide
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(p[0] + 0.01, p[1]); ctx.stroke();
    this.penAt = p;
    this.renderPad();
  }

  emitDrawing() {
    const I = this.scene.input, K = 8, a = this.ink.getContext("2d").getImageData(0, 0, I.w * K, I.h * K).data, pixels = [];
    for (let y = 0; y < I.h; y++) for (let x = 0; x < I.w; x++) {
      let s = 0;
      for (let dy = 0; dy < K; dy++) for (let dx = 0; dx < K; dx++) s += a[4 * ((y * K + dy) * I.w * K + x * K + dx) + 3];
      pixels.push(Math.round(s / (K * K * 255) * 100) / 100);
    }
    this.send("draw", { pixels });
  }

  bindInputs() {
    const pad = this.q(".nnp-pad"), on = (sel, type, fn) => this.q(sel).addEventListener(type, fn);
    on(".nnp-pad", "pointerdown", (e) => { if (this.scene) { pad.setPointerCapture(e.pointerId); this.penAt = null; this.stroke(e); } });
    on(".nnp-pad", "pointermove", (e) => { if (this.penAt) this.stroke(e); });
    const up = () => { if (this.penAt) { this.penAt = null; this.emitDrawing(); } };
    on(".nnp-pad", "pointerup", up);
    on(".nnp-pad", "pointercancel", up);
    on("[data-testid=nnp-clear]", "click", () => { if (this.scene) { this.inkClear(); this.send("clear", true); } });
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.addEventListener("click", () => this.setTab(b.dataset.tab));
    on(".nnp-mcols", "mousemove", (e) => this.hoverMap(e));
    on(".nnp-mcols", "mouseleave", () => { this.tip.hidden = true; });
    on(".nnp-mcols", "click", (e) => this.clickMap(e));
    on(".nnp-confusion", "click", (e) => this.clickConfusion(e));
  }

  // Plain text only, lines split on "\n"; kept inside the view's box.
  showTip(e, text) {
    const r = this.el.getBoundingClientRect();
    this.tip.textContent = text; this.tip.hidden = false;
    this.tip.style.left = px(Math.min(e.clientX - r.left + 14, r.width - this.tip.offsetWidth - 4));
    this.tip.style.top = px(e.clientY - r.top + 14);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpCnn;
  if (!view) view = parentElement.__nnpCnn = new CnnView(parentElement, "nnp-cnn", CSS);
  if (data) view.receive(data, setTriggerValue);
}
