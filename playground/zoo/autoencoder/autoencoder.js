// The autoencoder view: the code space of an autoencoder trained live. Sent after
// playground/zoo/player.js (Player, the playback, the drawing helpers); every number comes from
// the server (playground/zoo/autoencoder/frames.py).
//   scene: {images, shape, latent, classes, layers, params, labels, range, gallery, code_layer,
//           metrics, variant, beta} (a VAE's metrics add train_kl, test_kl: its losses are the
//           reconstruction error, the KL is shown apart)
//   frame: {codes {x, y, var, axes}, plane {x0, x1, y0, y1}, grid {g, data}, recon, test_points?,
//           decoded? {z, pixels | point}, interp? {a, b, steps, pixels | points}} (the last two sticky)
// Triggers back: pull, need (Player's); probe {x, y} (a click in the latent plane, plane
// coordinates); pair {a, b} (two gallery positions, clicked one after the other).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

const AXIS_L = 40, AXIS_B = 30, COL_GAP = 16;  // the planes' margins for tick labels and axis names
// One rule a line, by region; .nnp-ae scopes everything (live.css and the other views use the same names).
const CSS = `
.nnp-ae { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b); }
.nnp-ae * { box-sizing: border-box; }
.nnp-ae [hidden] { display: none !important; }
.nnp-ae canvas { display: block; }
.nnp-ae .nnp-status { display: flex; flex-wrap: nowrap; gap: 1.2em; align-items: baseline; height: 34px; min-height: 0; line-height: 1.3; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-ae .nnp-epoch { font-size: 1.45rem; font-weight: 600; min-width: 6.5em; }
.nnp-ae .nnp-metrics { font-size: 0.95rem; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-ae .nnp-arch { display: flex; gap: 14px; margin: 2px 0 8px; height: 24px; }
.nnp-ae .nnp-box { position: relative; flex: 1 1 auto; min-width: 0; padding: 0 7px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); line-height: 22px; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-box.code { border-color: var(--nnp-accent); }
.nnp-ae .nnp-box b { font-weight: 600; }
.nnp-ae .nnp-box span { opacity: 0.75; margin-left: 0.5em; }
.nnp-ae .nnp-box .nnp-params { margin-left: 0.3em; }
.nnp-ae.narrow .nnp-box .nnp-params { display: none; }
.nnp-ae .nnp-arch.compact { height: 34px; gap: 12px; }
.nnp-ae .nnp-arch.compact .nnp-box { padding: 0 5px; line-height: 16px; font-size: 11px; text-align: center; }
.nnp-ae .nnp-arch.compact .nnp-box b, .nnp-ae .nnp-arch.compact .nnp-box span { display: block; margin: 0; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-arch.compact .nnp-arr::before { top: 9px; left: -9px; }
.nnp-ae .nnp-arr { flex: none; width: 0; position: relative; }
.nnp-ae .nnp-arr::before { content: "›"; position: absolute; left: -10px; top: 1px; opacity: 0.6; font-size: 14px; }
.nnp-ae .nnp-body { display: flex; gap: 14px; align-items: flex-start; }
.nnp-ae .nnp-left, .nnp-ae .nnp-right, .nnp-ae .nnp-main { flex: none; }
.nnp-ae .nnp-row { display: flex; align-items: flex-start; }
.nnp-ae .nnp-sub { display: flex; gap: 0.5em; align-items: baseline; font-size: 12px; font-weight: 600; line-height: 16px; height: 18px; white-space: nowrap; overflow: hidden; }
.nnp-ae .nnp-sub i { font-weight: 400; font-style: normal; opacity: 0.75; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-sub .nnp-grow { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-legend { display: flex; flex-wrap: wrap; gap: 0 8px; padding-left: ${AXIS_L}px; height: 16px; line-height: 16px; font-size: 11px; overflow: hidden; }
.nnp-ae .nnp-legend b { font-weight: 400; opacity: 0.75; }
.nnp-ae .nnp-legend span { white-space: nowrap; }
.nnp-ae .nnp-legend span::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%; margin-right: 3px; background: var(--c); }
.nnp-ae .nnp-gallery { display: grid; gap: 3px; margin-bottom: 8px; }
.nnp-ae .nnp-pic { position: relative; }
.nnp-ae .nnp-pic canvas, .nnp-ae .nnp-pairs canvas, .nnp-ae .nnp-interp canvas, .nnp-ae .nnp-decoded { image-rendering: pixelated; outline: 1px solid var(--nnp-line); }
.nnp-ae .nnp-pic, .nnp-ae .nnp-pair, .nnp-ae .nnp-gpt { cursor: pointer; }
.nnp-ae .nnp-pic:hover canvas, .nnp-ae .nnp-pair:hover canvas, .nnp-ae .nnp-gpt:hover { outline-color: var(--nnp-accent); }
.nnp-ae .nnp-pic.on canvas, .nnp-ae .nnp-pair.on canvas { outline: 2px solid var(--nnp-accent); }
.nnp-ae .nnp-pic.want canvas { outline: 2px dashed var(--nnp-accent); }
.nnp-ae .nnp-pic[data-ab]::after { content: attr(data-ab); position: absolute; left: 1px; top: 1px; font-size: 10px; line-height: 12px; padding: 0 3px; border-radius: 3px; font-weight: 700; background: var(--nnp-accent); color: #fff; }
.nnp-ae .nnp-gpts { display: flex; flex-direction: column; gap: 2px; margin-bottom: 8px; }
.nnp-ae .nnp-gpt { display: flex; gap: 6px; align-items: center; height: 19px; padding: 0 6px; border: 1px solid var(--nnp-line); border-radius: 5px; font-size: 12px; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-ae .nnp-gpt.on { outline: 2px solid var(--nnp-accent); outline-offset: -1px; border-color: transparent; background: var(--nnp-panel); }
.nnp-ae .nnp-gpt.want { outline: 2px dashed var(--nnp-accent); outline-offset: -1px; border-color: transparent; }
.nnp-ae .nnp-gpt b { flex: none; width: 1em; color: var(--nnp-accent); }
.nnp-ae .nnp-gpt .nnp-dot { flex: none; width: 8px; height: 8px; border-radius: 50%; background: var(--c); }
.nnp-ae .nnp-gpt .nnp-gi { flex: none; opacity: 0.55; font-size: 11px; min-width: 1.8em; text-align: right; }
.nnp-ae .nnp-latent, .nnp-ae .nnp-grid { cursor: crosshair; }
.nnp-ae .nnp-hint { display: flex; align-items: center; justify-content: center; text-align: center; padding: 8px; border: 1px dashed var(--nnp-line); border-radius: 6px; font-size: 12px; line-height: 16px; opacity: 0.75; }
.nnp-ae .nnp-znum { font-size: 12px; line-height: 16px; margin-top: 4px; font-variant-numeric: tabular-nums; white-space: pre-line; overflow: hidden; }
.nnp-ae .nnp-pairs, .nnp-ae .nnp-interp { display: flex; gap: 3px; margin-bottom: 8px; }
.nnp-ae .nnp-pair { display: flex; flex-direction: column; gap: 3px; }
.nnp-ae .nnp-interp { align-items: center; }
.nnp-ae .nnp-interp .nnp-end { font-size: 12px; font-weight: 700; color: var(--nnp-accent); padding: 0 3px; }
.nnp-ae .nnp-interp-hint { font-size: 12px; line-height: 16px; opacity: 0.75; margin-bottom: 8px; }
.nnp-ae .nnp-loss { display: grid; grid-template-columns: auto 1fr; gap: 1px 10px; margin: 8px 0; font-size: 12px; line-height: 17px; font-variant-numeric: tabular-nums; align-items: baseline; }
.nnp-ae .nnp-loss b { font-size: 1.25rem; font-weight: 600; }
.nnp-ae .nnp-loss span:nth-child(odd) { opacity: 0.8; }
.nnp-ae .nnp-loss i { font-style: normal; opacity: 0.7; }
.nnp-ae .nnp-note { font-size: 12px; line-height: 16px; opacity: 0.85; overflow: hidden; }
.nnp-ae .nnp-tip { position: absolute; z-index: 10; pointer-events: none; font-size: 12px; padding: 4px 7px; border-radius: 4px; white-space: pre; font-variant-numeric: tabular-nums;
background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); border: 1px solid var(--st-border-color, #999); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2); }`;

// Ten class colours, one set for each page colour (the light set darker, the dark set lighter).
const CLASS_LIGHT = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#b5b512", "#17becf"];
const CLASS_DARK = ["#5fa8e8", "#ffa94d", "#5cd65c", "#ff6b6b", "#b197fc", "#d0a080", "#f783ac", "#b0b6bd", "#e0e04a", "#3bd5e8"];
const SUB = ["₁", "₂"];

// 1 2 5 steps: ticks from lo to hi, about n of them.
function ticks(lo, hi, n) {
  const raw = (hi - lo) / Math.max(1, n), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw, out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < step * 1e-6 ? 0 : v);
  return out;
}
// innerHTML only when it changed.
function setHtml(el, html) {
  if (el.__nnpHtml !== html) { el.innerHTML = html; el.__nnpHtml = html; }
}
// A fixed spread in [-0.5, 0.5) for test input i: a 1-number code's dots, spread up and down to be seen.
const jitter = (i) => ((Math.imul(i + 1, 2654435761) >>> 0) % 1000) / 1000 - 0.5;

class AutoencoderView extends Player {
  build() {
    this.STICKY = ["decoded", "interp"];
    Object.assign(this, { pick: null, wantPair: null, wantProbe: null, hoverGal: null, hoverTile: null, drawn: {} });
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
      <span class="nnp-metrics" data-testid="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-arch"></div>
      <div class="nnp-body">
      <div class="nnp-left"><div class="nnp-sub"><span class="nnp-grow nnp-gal-title"></span></div>
      <div class="nnp-gallery" data-testid="nnp-gallery"></div><div class="nnp-gpts" data-testid="nnp-gallery-points"></div>
      <div class="nnp-sub"><span class="nnp-grow nnp-dec-title"></span></div>
      <canvas class="nnp-decoded" data-testid="nnp-decoded"></canvas><div class="nnp-znum" data-testid="nnp-decoded-z"></div>
      <div class="nnp-hint nnp-dec-hint">click anywhere in the code plane: the decoder turns that point into an input</div></div>
      <div class="nnp-main"><div class="nnp-row">
      <div class="nnp-pbox"><div class="nnp-sub"><span class="nnp-grow nnp-latent-title"></span></div>
      <canvas class="nnp-latent" data-testid="nnp-latent"></canvas></div>
      <div class="nnp-gbox"><div class="nnp-sub"><span class="nnp-grow nnp-grid-title"></span></div>
      <canvas class="nnp-grid"></canvas></div></div><div class="nnp-legend" data-testid="nnp-legend"></div>
      <div class="nnp-lower"><div class="nnp-imgonly"><div class="nnp-sub"><span class="nnp-grow">inputs → reconstructions <i>· top: the test input, below: what the network rebuilds from its code</i></span></div>
      <div class="nnp-pairs" data-testid="nnp-recon"></div></div>
      <div class="nnp-sub"><span class="nnp-grow nnp-interp-title"></span></div>
      <div class="nnp-interp" data-testid="nnp-interp" hidden></div><div class="nnp-interp-hint"></div></div></div>
      <div class="nnp-right"><canvas class="nnp-curve" data-testid="nnp-curve"></canvas>
      <div class="nnp-loss" data-testid="nnp-loss"></div><div class="nnp-note nnp-about"></div></div></div>
      <div class="nnp-tip" hidden></div>`;
    this.tip = this.q(".nnp-tip");
    const lat = this.q(".nnp-latent"), grid = this.q(".nnp-grid");
    lat.addEventListener("click", (e) => this.clickPlane(e));
    lat.addEventListener("mousemove", (e) => this.hoverPlane(e));
    grid.addEventListener("click", (e) => this.clickGrid(e));
    grid.addEventListener("mousemove", (e) => this.hoverGrid(e));
    for (const c of [lat, grid]) c.addEventListener("mouseleave", () => this.unhover());
    window.__nnpAutoencoder = this;  // for tests: framesShown, lastFrame
  }

  // ---- scene and theme ------------------------------------------------------------
  onScene(S) {
    Object.assign(this, { pick: null, wantPair: null, wantProbe: null, hoverGal: null, hoverTile: null, drawn: {} });
    const arch = this.q(".nnp-arch"), kids = [];
    // A long (convolutional) stack shows each layer's kind and output shape; the rest on hover.
    const compact = S.layers.length > 7, short = { convtranspose: "convT", maxpool: "max", avgpool: "avg" };
    S.layers.forEach((ly, i) => {
      if (i) kids.push(h("span", "nnp-arr"));
      const code = i === S.code_layer, params = ly.params ? ly.params.toLocaleString("en-US") + " params" : "";
      const name = compact ? short[ly.kind] || ly.kind : ly.label;
      const b = h("div", "nnp-box" + (code ? " code" : ""), null,
        { title: `${ly.label}${code ? " (the code, the bottleneck)" : ""}\noutput ${ly.shape}${params ? "\n" + params : ""}` });
      b.append(h("b", "", name), h("span", "", String(ly.shape)), h("span", "nnp-params", params && !compact ? "· " + params : ""));
      kids.push(b);
    });
    arch.classList.toggle("compact", compact);
    arch.replaceChildren(...kids);
    const G = S.gallery, cl = S.classes, test = (i) => `test input ${G.indices[i]} · class ${cl[G.labels[i]]}`;
    this.q(".nnp-gallery").hidden = !S.images;
    this.q(".nnp-gpts").hidden = S.images;
    this.q(".nnp-imgonly").hidden = !S.images;
    this.galPixels = S.images ? unb64(G.pixels) : null;
    const hover = (el, i) => {
      el.addEventListener("click", () => this.choose(i));
      el.addEventListener("mouseenter", () => { this.hoverGal = i; this.drawPlanes(); });
      el.addEventListener("mouseleave", () => { this.hoverGal = null; this.drawPlanes(); });
      return el;
    };
    this.pics = []; this.pairs = []; this.gpts = [];
    if (S.images) {
      this.pics = G.labels.map((_, i) => {
        const d = hover(h("div", "nnp-pic", null, { "data-testid": "nnp-gallery-" + i, title: test(i) + "\nclick one, then another: walk between their codes" }), i);
        d.appendChild(h("canvas"));
        return d;
      });
      this.pairs = G.labels.map((_, i) => {
        const d = hover(h("div", "nnp-pair", null, { title: test(i) + "\ntop: input · below: reconstruction" }), i);
        d.append(h("canvas"), h("canvas"));
        return d;
      });
    } else {
      this.gpts = G.points.map((p, i) => {
        const d = hover(h("div", "nnp-gpt", null, { "data-testid": "nnp-gallery-" + i, title: test(i) + "\nclick one, then another: walk between their codes" }), i);
        const dot = h("span", "nnp-dot");
        dot.style.setProperty("--c", this.classColor(G.labels[i]));
        d.append(h("b", "", ""), dot, h("span", "nnp-gi", String(G.indices[i])), h("span", "", `(${sig(p[0])}, ${sig(p[1])})`));
        return d;
      });
    }
    this.q(".nnp-gallery").replaceChildren(...this.pics);
    this.q(".nnp-pairs").replaceChildren(...this.pairs);
    this.q(".nnp-gpts").replaceChildren(...this.gpts);
    this.q(".nnp-grid").setAttribute("data-testid", S.images ? "nnp-grid" : "nnp-data");
    this.q(".nnp-gal-title").innerHTML = S.images ? "test inputs <i>· click two to interpolate</i>" : "test points <i>· click two to interpolate</i>";
    this.legend();
    const n = S.latent, nums = `${n} number${n > 1 ? "s" : ""}`;
    this.q(".nnp-about").textContent = (S.images
      ? `Each ${S.shape[0]}×${S.shape[1]} image (${S.shape[0] * S.shape[1]} numbers) is squeezed into a code of ${nums} and rebuilt from it. `
      : `Each point is squeezed into a code of ${nums} and rebuilt from it. `)
      + "The classes are never shown to the network (they only colour the dots); similar inputs still get nearby codes."
      + (n > 2 ? ` The plane shows the first two principal axes of the ${n}-number codes.` : "");
    this.q(".nnp-dec-hint").textContent = S.images
      ? "click anywhere in the code plane (or a tile of the grid): the decoder turns that code into an image"
      : "click anywhere in the code plane: the decoder turns that code into a point (the cross in the data plane)";
  }

  legend() {
    const S = this.scene;
    if (!S || !this.pal) return;
    this.q(".nnp-legend").replaceChildren(h("b", "", "class:"), ...S.classes.map((c, k) => {
      const s = h("span", "", c.length > 9 ? c.slice(0, 8) + "…" : c, { title: "class " + c });
      s.style.setProperty("--c", this.classColor(k));
      return s;
    }));
    for (const [i, d] of this.gpts.entries()) d.children[1].style.setProperty("--c", this.classColor(S.gallery.labels[i]));
  }

  classColor(k) {
    return ((this.pal && this.pal.dark) ? CLASS_DARK : CLASS_LIGHT)[k % 10];
  }

  // Images: ink dark on white paper, as printed; on a dark page light ink on dark paper (cnn.js's).
  onTheme(pal) {
    const paper = pal.dark ? [30, 32, 40] : [255, 255, 255], ink = pal.dark ? [240, 240, 240] : [20, 20, 24];
    pal.textRGB = parseColor(pal.text) || (pal.dark ? [250, 250, 250] : [49, 51, 63]);
    Object.assign(pal, { grey: Array.from({ length: 256 }, (_, b) => mix(paper, ink, b / 255)), paper,
      muted: rgb(mix(pal.zero, pal.textRGB, 0.5)), grid: rgb(mix(pal.zero, pal.textRGB, 0.09)), sep: rgb(mix(paper, pal.textRGB, 0.22)) });
    this.drawn = {};
    this.legend();
  }

  // ---- layout: sized to the viewport, like the other views ------------------------------
  // Left: the gallery and the decoded point; middle: the code plane beside the grid of decodings
  // (or the data plane), under them the reconstructions and the interpolation; right: the loss.
  sizes() {
    const S = this.scene, W = Math.max(640, this.el.clientWidth || 1000), gap = 14;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 28, 440, 1100);
    const bodyH = avail - 34 - this.q(".nnp-arch").offsetHeight - 10 - 6;
    const leftW = Math.round(S.images ? clamp(W * 0.16, 176, 280) : clamp(W * 0.14, 150, 240)), rightW = Math.round(clamp(W * 0.17, 196, 320));
    const mainW = W - leftW - rightW - 2 * gap;
    // The strips' thumbnails: 12 input/reconstruction pairs across, the interpolation as big.
    const n = S.gallery.n, k = 8 + 2;
    const t = S.images ? Math.floor(clamp(Math.min((mainW - 3 * (n - 1)) / n, (mainW - 40) / k - 3, bodyH * 0.085), 14, 72)) : 0;
    const lower = 16 + (S.images ? 18 + 2 * t + 3 + 8 + 18 + t + 8 : 18 + 40);
    const side = Math.floor(Math.max(120, Math.min((mainW - COL_GAP) / 2 - AXIS_L - 2, bodyH - 18 - AXIS_B - lower - 4)));
    const cols = 4, thumb = Math.floor((leftW - 3 * (cols - 1)) / cols);
    const galH = S.images ? 18 + Math.ceil(n / cols) * (thumb + 3) + 8 : 18 + n * 21 + 8;
    const dec = Math.floor(clamp(Math.min(leftW, bodyH - galH - 18 - 24), 48, 320));
    const curveH = Math.round(clamp(bodyH * 0.5, 150, 360));
    return { bodyH, leftW, rightW, mainW, t, side, thumb, cols, dec, curveH };
  }

  applySizes(s) {
    const S = this.scene;
    this.el.classList.toggle("narrow", this.el.clientWidth < 1300);
    this.q(".nnp-left").style.width = px(s.leftW);
    this.q(".nnp-right").style.width = px(s.rightW);
    this.q(".nnp-main").style.width = px(s.mainW);
    this.q(".nnp-body").style.height = px(s.bodyH);
    const boxW = AXIS_L + s.side + 2;
    this.q(".nnp-pbox").style.width = px(boxW);
    this.q(".nnp-gbox").style.width = px(boxW);
    this.q(".nnp-gbox").style.marginLeft = px(COL_GAP);
    this.q(".nnp-gallery").style.gridTemplateColumns = `repeat(${s.cols}, ${s.thumb}px)`;
    for (const d of this.pics) sized(d.firstChild, s.thumb, Math.round(s.thumb * S.shape[0] / S.shape[1]));
    for (const d of this.pairs) for (const c of d.children) sized(c, s.t, Math.round(s.t * S.shape[0] / S.shape[1]));
    this.q(".nnp-dec-hint").style.height = px(Math.min(s.dec, 110));
    this.paintGallery();
    this.drawn = {};
  }

  paintGallery() {
    const S = this.scene;
    if (!S.images || !this.pal) return;
    this.pics.forEach((d, i) => this.image(d.firstChild, this.galPixels, i));
    this.pairs.forEach((d, i) => this.image(d.firstChild, this.galPixels, i));
  }

  image(canvas, bytes, i) {
    const [hh, ww] = this.scene.shape;
    indexImage(canvas, bytes, i * hh * ww, ww, hh, this.pal.grey);
  }

  redraw() {
    if (!this.scene || !this.pal) return;
    if (!this.sz) this.applySizes((this.sz = this.sizes()));
    const f = this.current, s = this.sz;
    this.drawStatus(f);
    drawCurve(this.q(".nnp-curve"), s.rightW, s.curveH, this.curve, this.pal, false);
    this.drawLoss();
    this.drawChoice();
    if (this.scene.images && f && f.recon && this.drawn.recon !== f.recon) {
      this.drawn.recon = f.recon;
      const r = unb64(f.recon);
      this.pairs.forEach((d, i) => this.image(d.lastChild, r, i));
    }
    this.drawPlanes();
    this.drawDecoded();
    this.drawInterp();
  }

  drawPlanes() {
    if (!this.sz) return;
    this.drawPlane(this.current);
    if (this.scene.images) this.drawGrid(this.current); else this.drawData(this.current);
  }

  // ---- status, loss -------------------------------------------------------------------
  drawStatus(f) {
    const into = f && f.part ? ` + ${f.part}/${f.parts}` : "";
    const label = "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US") + into, el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;
    const parts = [];
    const vae = this.scene.variant === "vae";
    for (const k of ["test_loss", "train_loss"]) if (this.latest(k) !== null) parts.push(`${vae ? k.replace("_loss", " reconstruction") : k.replace("_", " ")} <b>${sig(this.latest(k))}</b>`);
    if (vae && this.latest("test_kl") !== null) parts.push(`test KL <b>${sig(this.latest("test_kl"))}</b>`);
    const L = this.scene.latent;
    parts.push(`code of ${L} number${L > 1 ? "s" : ""}`, `${this.scene.params.toLocaleString("en-US")} parameters`);
    setHtml(this.q(".nnp-metrics"), parts.join(" · "));
  }

  drawLoss() {
    const T = this.curve.test_loss || [], E = this.curve.epoch || [];
    let best = -1;
    for (let i = 0; i < T.length; i++) if (T[i] !== null && isFinite(T[i]) && (best < 0 || T[i] < T[best])) best = i;
    const row = (name, v) => `<span>${name}</span><span>${v}</span>`;
    const vae = this.scene.variant === "vae", loss = vae ? "reconstruction" : "loss";
    const kl = vae ? row("test KL", `<b>${sig(this.latest("test_kl"))}</b>`) + row("train KL", sig(this.latest("train_kl"))) : "";
    const objective = vae ? `mean squared error + ${sig(this.scene.beta)} × KL` : this.scene.variant === "denoising" ? "mean squared error (noisy input, clean target)" : "mean squared error";
    setHtml(this.q(".nnp-loss"), row(`test ${loss}`, `<b>${sig(this.latest("test_loss"))}</b>`) + row(`train ${loss}`, sig(this.latest("train_loss")))
      + kl + (best >= 0 ? row(`best test ${loss}`, `${sig(T[best])} <i>· epoch ${E[best]}</i>`) : "")
      + row("objective", objective));
  }

  // ---- the chosen pair ------------------------------------------------------------------
  // One click: A (dashed until the second); the second sends the pair; until the server's
  // interpolation has it, the sent pair is shown.
  choose(i) {
    if (this.pick !== null && this.pick !== i) {
      this.wantPair = [this.pick, i]; this.pick = null; this.wantAt = performance.now();
      this.send("pair", { a: this.wantPair[0], b: this.wantPair[1] });
    } else this.pick = this.pick === i ? null : i;
    this.redraw();
  }

  // [a, b] shown as chosen (a alone while picking), or null.
  chosenPair() {
    const it = this.sticky.interp;
    // Answered, or lost (no answer in 8 s): show the server's pair again.
    if (this.wantPair && ((it && it.a === this.wantPair[0] && it.b === this.wantPair[1]) || performance.now() - this.wantAt > 8000)) this.wantPair = null;
    if (this.pick !== null) return [this.pick, null];
    return this.wantPair || (it ? [it.a, it.b] : null);
  }

  drawChoice() {
    const ab = this.chosenPair() || [null, null], picking = this.pick !== null;
    const mark = (el, i) => {
      const tag = i === ab[0] ? "A" : i === ab[1] ? "B" : "";
      el.classList.toggle("on", !!tag && !picking);
      el.classList.toggle("want", !!tag && picking);
      return tag;
    };
    this.pics.forEach((d, i) => { const tag = mark(d, i); if (tag) d.setAttribute("data-ab", tag); else d.removeAttribute("data-ab"); });
    this.pairs.forEach((d, i) => d.classList.toggle("on", i === ab[0] || i === ab[1]));
    this.gpts.forEach((d, i) => { d.firstChild.textContent = mark(d, i); });
  }

  // ---- the code plane ---------------------------------------------------------------------
  // Plane coordinates <-> canvas pixels: the square [AXIS_L, AXIS_L + side] × [0, side], y up.
  geom(x0, x1, y0, y1) {
    const n = this.sz.side;
    return { n, X: (v) => AXIS_L + (v - x0) / (x1 - x0) * n, Y: (v) => (1 - (v - y0) / (y1 - y0)) * n,
      ix: (p) => x0 + (p - AXIS_L) / n * (x1 - x0), iy: (p) => y0 + (1 - p / n) * (y1 - y0) };
  }

  // The frame, light grid lines at round values, tick labels, axis names.
  axes(ctx, G, x0, x1, y0, y1, xname, yname, noY) {
    const P = this.pal, n = G.n, k = Math.max(3, Math.round(n / 55));
    ctx.font = "10.5px sans-serif"; ctx.lineWidth = 1; ctx.fillStyle = P.muted; ctx.strokeStyle = P.grid;
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(x0, x1, k)) {
      const x = Math.round(G.X(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, n); ctx.stroke();
      ctx.fillText(sig(v), clamp(x, AXIS_L + 8, AXIS_L + n - 8), n + 3);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    if (!noY) {
      for (const v of ticks(y0, y1, k)) {
        const y = Math.round(G.Y(v)) + 0.5;
        ctx.beginPath(); ctx.moveTo(AXIS_L, y); ctx.lineTo(AXIS_L + n, y); ctx.stroke();
        ctx.fillText(sig(v), AXIS_L - 4, clamp(y, 6, n - 6));
      }
    }
    ctx.strokeStyle = P.line; ctx.strokeRect(AXIS_L + 0.5, 0.5, n - 1, n - 1);
    ctx.fillStyle = P.text; ctx.font = "11.5px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
    ctx.fillText(xname, AXIS_L + n / 2, n + AXIS_B - 2);
    ctx.save(); ctx.translate(11, n / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(yname, 0, 0); ctx.restore();
  }

  axisNames(c) {
    const L = this.scene.latent;
    if (c && c.axes === "pca") return [0, 1].map((i) => `PCA ${i + 1}` + (c.var ? ` (${(100 * c.var[i]).toFixed(1)} %)` : ""));
    return L === 1 ? ["z (the code)", "spread for visibility"] : ["z₁ (code number 1)", "z₂ (code number 2)"];
  }

  // Code of test input i in plane coordinates (a 1-number code spread up and down).
  codeAt(c, p, i) {
    return [c.x[i], this.scene.latent === 1 ? (p.y0 + p.y1) / 2 + jitter(i) * 0.8 * (p.y1 - p.y0) : c.y[i]];
  }

  drawPlane(f) {
    const S = this.scene, s = this.sz, P = this.pal, cv = this.q(".nnp-latent"), c = f && f.codes, p = f && f.plane;
    const ctx = setupCanvas(cv, AXIS_L + s.side + 2, s.side + AXIS_B);
    const pca = c && c.axes === "pca";
    setHtml(this.q(".nnp-latent-title"), `code plane <i>· ${pca ? `the ${S.latent}-number codes' 2 main axes` : "the test set's codes"} · click: decode</i>`);
    if (!c || !p) {
      ctx.strokeStyle = P.line; ctx.strokeRect(AXIS_L + 0.5, 0.5, s.side - 1, s.side - 1);
      ctx.fillStyle = P.muted; ctx.font = "12px sans-serif"; ctx.textAlign = "center";
      ctx.fillText("the codes appear with the first frame", AXIS_L + s.side / 2, s.side / 2);
      this.dots = null;
      return;
    }
    const G = this.geom(p.x0, p.x1, p.y0, p.y1), [xn, yn] = this.axisNames(c), L1 = S.latent === 1;
    this.axes(ctx, G, p.x0, p.x1, p.y0, p.y1, xn, yn, L1);
    // The hovered grid tile's spot.
    const g = f.grid && f.grid.g, ht = this.hoverTile;
    if (ht && g > 1 && S.images) {
      const cx = p.x0 + ht[1] / (g - 1) * (p.x1 - p.x0), cy = p.y1 - ht[0] / (g - 1) * (p.y1 - p.y0);
      const w = G.n / (g - 1);
      ctx.fillStyle = rgb(mix(P.zero, P.acc, 0.18));
      ctx.fillRect(G.X(cx) - w / 2, L1 ? 0 : G.Y(cy) - w / 2, w, L1 ? G.n : w);
    }
    // The dots, one path per class; their pixel positions kept for hovering.
    const lab = S.labels, m = c.x.length, dots = (this.dots = new Float32Array(2 * m)), r = G.n > 400 ? 3 : 2.6;
    for (let i = 0; i < m; i++) { const [x, y] = this.codeAt(c, p, i); dots[2 * i] = G.X(x); dots[2 * i + 1] = G.Y(y); }
    ctx.save(); ctx.beginPath(); ctx.rect(AXIS_L, 0, G.n, G.n); ctx.clip();
    ctx.globalAlpha = 0.8;
    for (let k = 0; k < S.classes.length; k++) {
      ctx.fillStyle = this.classColor(k); ctx.beginPath();
      for (let i = 0; i < m; i++) if (lab[i] === k) { ctx.moveTo(dots[2 * i] + r, dots[2 * i + 1]); ctx.arc(dots[2 * i], dots[2 * i + 1], r, 0, 2 * Math.PI); }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    // The chosen pair's codes, the straight path between them (the interpolation's), the hovered one.
    const Gal = S.gallery, at = (j) => { const i = Gal.indices[j]; return i < m ? [dots[2 * i], dots[2 * i + 1]] : null; };
    const ab = this.chosenPair() || [], A = ab[0] !== null && ab[0] !== undefined ? at(ab[0]) : null, B = ab[1] !== null && ab[1] !== undefined ? at(ab[1]) : null;
    ctx.strokeStyle = P.accent; ctx.fillStyle = P.accent; ctx.lineWidth = 2;
    if (A && B) { ctx.setLineDash([5, 4]); ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke(); ctx.setLineDash([]); }
    ctx.font = "bold 12px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    for (const [q, name] of [[A, "A"], [B, "B"]]) if (q) { this.ring(ctx, q, 6); ctx.fillText(name, q[0] + 6, q[1] - 4); }
    const hg = this.hoverGal !== null ? at(this.hoverGal) : null;
    if (hg) { ctx.strokeStyle = P.text; ctx.lineWidth = 2; this.ring(ctx, hg, 8); }
    // The clicked spot: a cross (dashed while the server works on it).
    const d = this.sticky.decoded, w = this.wantProbe;
    if (w && ((d && Math.abs(d.z[0] - w[0]) + Math.abs(d.z[1] - w[1]) < 1e-4 * (1 + Math.abs(w[0]) + Math.abs(w[1]))) || performance.now() - this.probeAt > 8000)) this.wantProbe = null;
    const mark = (q, dash) => {
      if (!L1) { this.cross(ctx, G.X(q[0]), G.Y(q[1]), P.accent, dash); return; }
      ctx.strokeStyle = P.accent; ctx.lineWidth = 2; ctx.setLineDash(dash.length ? dash : [6, 3]);
      ctx.beginPath(); ctx.moveTo(G.X(q[0]), 0); ctx.lineTo(G.X(q[0]), G.n); ctx.stroke(); ctx.setLineDash([]);
    };
    if (d) mark(d.z, []);
    if (this.wantProbe) mark(w, [3, 2]);
    ctx.restore();
  }

  ring(ctx, q, r) {
    ctx.beginPath(); ctx.arc(q[0], q[1], r, 0, 2 * Math.PI); ctx.stroke();
  }

  cross(ctx, x, y, color, dash) {
    ctx.setLineDash(dash); ctx.lineWidth = 3; ctx.strokeStyle = this.pal.dark ? "#000" : "#fff";
    const path = () => { ctx.beginPath(); ctx.moveTo(x - 8, y); ctx.lineTo(x + 8, y); ctx.moveTo(x, y - 8); ctx.lineTo(x, y + 8); };
    path(); ctx.stroke(); ctx.lineWidth = 2; ctx.strokeStyle = color; path(); ctx.stroke(); ctx.setLineDash([]);
  }

  // ---- the grid of decodings (images) -------------------------------------------------
  // g×g tiles in the plane's square, one hairline apart; tile (r, c) decodes the plane point
  // x0 + c/(g-1)·(x1-x0), y1 - r/(g-1)·(y1-y0).
  drawGrid(f) {
    const S = this.scene, s = this.sz, P = this.pal, cv = this.q(".nnp-grid"), n = s.side;
    const ctx = setupCanvas(cv, AXIS_L + n + 2, n + AXIS_B), gr = f && f.grid, p = f && f.plane;
    setHtml(this.q(".nnp-grid-title"), `decodings <i>· ${gr ? `${gr.g}×${gr.g} ` : ""}codes across the plane, each decoded · click a tile</i>`);
    if (!gr || !p) { ctx.strokeStyle = P.line; ctx.strokeRect(AXIS_L + 0.5, 0.5, n - 1, n - 1); return; }
    const g = gr.g, [hh, ww] = S.shape;
    if (this.drawn.grid !== gr.data) {
      // One mosaic canvas (g·w × g·h pixels) a frame; drawn scaled with one drawImage.
      const b = unb64(gr.data), W = g * ww, H = g * hh, all = new Uint8Array(W * H);
      for (let k = 0; k < g * g; k++) {
        const r0 = Math.floor(k / g) * hh, c0 = (k % g) * ww;
        for (let y = 0; y < hh; y++) all.set(b.subarray(k * hh * ww + y * ww, k * hh * ww + (y + 1) * ww), (r0 + y) * W + c0);
      }
      this.mosaic = indexImage(this.mosaic || h("canvas"), all, 0, W, H, P.grey);
      this.drawn.grid = gr.data;
    }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.mosaic, AXIS_L, 0, n, n);
    ctx.strokeStyle = P.sep; ctx.lineWidth = 1; ctx.beginPath();
    for (let k = 1; k < g; k++) {
      const v = Math.round(AXIS_L + k * n / g) + 0.5, u = Math.round(k * n / g) + 0.5;
      ctx.moveTo(v, 0); ctx.lineTo(v, n); ctx.moveTo(AXIS_L, u); ctx.lineTo(AXIS_L + n, u);
    }
    ctx.stroke();
    ctx.strokeStyle = P.line; ctx.strokeRect(AXIS_L + 0.5, 0.5, n - 1, n - 1);
    // Tick labels at the first and last tiles' centres (the plane's edges), axis names as the plane's.
    const [xn, yn] = this.axisNames(f.codes), t = n / g, L1 = S.latent === 1;
    ctx.font = "10.5px sans-serif"; ctx.fillStyle = P.muted; ctx.textBaseline = "top"; ctx.textAlign = "center";
    ctx.fillText(sig(p.x0), AXIS_L + t / 2, n + 3); ctx.fillText(sig(p.x1), AXIS_L + n - t / 2, n + 3);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    if (!L1) { ctx.fillText(sig(p.y1), AXIS_L - 4, t / 2); ctx.fillText(sig(p.y0), AXIS_L - 4, n - t / 2); }
    ctx.fillStyle = P.text; ctx.font = "11.5px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
    ctx.fillText(xn, AXIS_L + n / 2, n + AXIS_B - 2);
    ctx.save(); ctx.translate(11, n / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(L1 ? "(one code: rows alike)" : yn, 0, 0); ctx.restore();
    const ht = this.hoverTile, d = this.sticky.decoded;
    if (ht) { ctx.strokeStyle = P.accent; ctx.lineWidth = 2; ctx.strokeRect(AXIS_L + ht[1] * t + 1, ht[0] * t + 1, t - 2, t - 2); }
    if (d && p.x1 > p.x0 && p.y1 > p.y0) {
      // The clicked spot at its place among the tiles (tile centres span the plane's edges).
      const x = AXIS_L + t / 2 + (d.z[0] - p.x0) / (p.x1 - p.x0) * (n - t), y = t / 2 + (p.y1 - d.z[1]) / (p.y1 - p.y0) * (n - t);
      if (x >= AXIS_L && x <= AXIS_L + n && y >= 0 && y <= n) this.cross(ctx, x, y, P.accent, []);
    }
  }

  tileAt(e) {
    const f = this.current, g = f && f.grid && f.grid.g, n = this.sz.side;
    if (!g) return null;
    const r = Math.floor(e.offsetY / n * g), c = Math.floor((e.offsetX - AXIS_L) / n * g);
    return r >= 0 && c >= 0 && r < g && c < g ? [r, c] : null;
  }

  tilePoint([r, c]) {
    const p = this.current.plane, g = this.current.grid.g;
    return [p.x0 + c / (g - 1) * (p.x1 - p.x0), p.y1 - r / (g - 1) * (p.y1 - p.y0)];
  }

  // ---- the data plane (points) --------------------------------------------------------
  // Test points coloured by class, a line from each to its reconstruction, the decoder's image
  // of the code plane as a mesh (a curve for a 1-number code), the interpolation and the decoded point.
  drawData(f) {
    const S = this.scene, s = this.sz, P = this.pal, n = s.side, cv = this.q(".nnp-grid");
    const ctx = setupCanvas(cv, AXIS_L + n + 2, n + AXIS_B), [lo, hi] = S.range || [-1, 1];
    setHtml(this.q(".nnp-grid-title"), `data plane <i>· → reconstructions · mesh: decoder</i>`);
    const G = this.geom(lo, hi, lo, hi);
    this.axes(ctx, G, lo, hi, lo, hi, "x₁", "x₂", false);
    this.dataGeom = G;
    if (!f || !f.test_points) return;
    ctx.save(); ctx.beginPath(); ctx.rect(AXIS_L, 0, n, n); ctx.clip();
    const pts = f.test_points, rec = f.recon || [], lab = S.labels;
    ctx.lineWidth = 1; ctx.globalAlpha = 0.55;
    for (let k = 0; k < S.classes.length; k++) {
      ctx.strokeStyle = this.classColor(k); ctx.beginPath();
      for (let i = 0; i < pts.length; i++) if (lab[i] === k && rec[i]) { ctx.moveTo(G.X(pts[i][0]), G.Y(pts[i][1])); ctx.lineTo(G.X(rec[i][0]), G.Y(rec[i][1])); }
      ctx.stroke();
    }
    ctx.globalAlpha = 0.9;
    for (let k = 0; k < S.classes.length; k++) {
      ctx.fillStyle = this.classColor(k); ctx.beginPath();
      for (let i = 0; i < pts.length; i++) if (lab[i] === k) { const x = G.X(pts[i][0]), y = G.Y(pts[i][1]); ctx.moveTo(x + 2.4, y); ctx.arc(x, y, 2.4, 0, 2 * Math.PI); }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    const m = f.grid && f.grid.data, g = f.grid && f.grid.g;
    if (m && g) {
      this.q(".nnp-grid-title").title = "each test point joined to its reconstruction; the grey mesh is the decoder's image of the code plane (a curve for a 1-number code)";
      ctx.strokeStyle = P.muted; ctx.lineWidth = S.latent === 1 ? 2 : 1.2; ctx.beginPath();
      const line = (at) => { for (let j = 0; j < g; j++) { const q = m[at(j)]; ctx[j ? "lineTo" : "moveTo"](G.X(q[0]), G.Y(q[1])); } };
      for (let r = 0; r < (S.latent === 1 ? 1 : g); r++) line((j) => r * g + j);
      if (S.latent > 1) for (let c = 0; c < g; c++) line((j) => j * g + c);
      ctx.stroke();
      ctx.fillStyle = P.muted; ctx.beginPath();
      for (let i = 0; i < (S.latent === 1 ? g : g * g); i++) { const x = G.X(m[i][0]), y = G.Y(m[i][1]); ctx.moveTo(x + 1.8, y); ctx.arc(x, y, 1.8, 0, 2 * Math.PI); }
      ctx.fill();
    }
    // The chosen pair (rings on the inputs), the interpolation's decoded path, the hovered entry.
    const Gal = S.gallery, ab = this.chosenPair() || [], it = this.sticky.interp;
    ctx.strokeStyle = P.accent; ctx.fillStyle = P.accent; ctx.lineWidth = 2;
    if (it && it.points && ab[0] === it.a && ab[1] === it.b) {
      ctx.setLineDash([5, 3]); ctx.beginPath();
      it.points.forEach((q, j) => ctx[j ? "lineTo" : "moveTo"](G.X(q[0]), G.Y(q[1])));
      ctx.stroke(); ctx.setLineDash([]);
      ctx.beginPath();
      for (const q of it.points) { ctx.moveTo(G.X(q[0]) + 3, G.Y(q[1])); ctx.arc(G.X(q[0]), G.Y(q[1]), 3, 0, 2 * Math.PI); }
      ctx.fill();
    }
    ctx.font = "bold 12px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    ab.forEach((j, k) => {
      if (j === null || j === undefined || !Gal.points[j]) return;
      const q = [G.X(Gal.points[j][0]), G.Y(Gal.points[j][1])];
      this.ring(ctx, q, 6); ctx.fillText(k ? "B" : "A", q[0] + 6, q[1] - 4);
    });
    if (this.hoverGal !== null && Gal.points[this.hoverGal]) {
      const q = Gal.points[this.hoverGal];
      ctx.strokeStyle = P.text; this.ring(ctx, [G.X(q[0]), G.Y(q[1])], 8);
    }
    const d = this.sticky.decoded;
    if (d && d.point) this.cross(ctx, G.X(d.point[0]), G.Y(d.point[1]), P.accent, []);
    ctx.restore();
  }

  // ---- decoded point, interpolation ---------------------------------------------------
  drawDecoded() {
    const S = this.scene, d = this.sticky.decoded, cv = this.q(".nnp-decoded"), znum = this.q(".nnp-znum"), s = this.sz;
    const pca = this.current && this.current.codes && this.current.codes.axes === "pca";
    const z = d ? (S.latent === 1 ? `z = ${sig(d.z[0])}` : `${pca ? "plane" : "z"} = (${sig(d.z[0])}, ${sig(d.z[1])})`) : "";
    setHtml(this.q(".nnp-dec-title"), d ? `decoded <i>· the clicked code</i>` : `decoded <i>· click the code plane</i>`);
    this.q(".nnp-dec-hint").hidden = !!d;
    cv.hidden = !(d && d.pixels);
    znum.hidden = !d;
    if (!d) return;
    let text = z;
    if (d.pixels) {
      if (this.drawn.decoded !== d.pixels || this.drawn.decSize !== s.dec) {
        const [hh, ww] = S.shape;
        indexImage(cv, unb64(d.pixels), 0, ww, hh, this.pal.grey);
        sized(cv, s.dec, Math.round(s.dec * hh / ww));
        Object.assign(this.drawn, { decoded: d.pixels, decSize: s.dec });
      }
    } else if (d.point) text += `\n→ decoded x = (${sig(d.point[0])}, ${sig(d.point[1])})`;
    if (pca) text += `\non the codes' 2 main axes (of ${S.latent})`;
    znum.textContent = text;
    znum.title = pca ? "the clicked point of the plane, on the codes' first two principal axes; the decoder gets the mean code moved by it along those axes" : "";
  }

  drawInterp() {
    const S = this.scene, it = this.sticky.interp, strip = this.q(".nnp-interp"), G = S.gallery, s = this.sz;
    const hint = this.q(".nnp-interp-hint"), name = (j) => `#${G.indices[j]} (${S.classes[G.labels[j]]})`;
    setHtml(this.q(".nnp-interp-title"), it ? `interpolation <i>· A ${esc(name(it.a))} → B ${esc(name(it.b))}: ${it.steps} codes on the straight line between theirs, decoded</i>`
      : "interpolation");
    strip.hidden = !it;
    hint.hidden = !!it;
    if (!it) {
      hint.textContent = this.pick !== null ? `A = ${name(this.pick)}; now click B` : this.wantPair ? "waiting for the server…"
        : `click two test ${S.images ? "inputs" : "points"} on the left (A, then B): the decoder walks between their codes`;
      return;
    }
    if (!S.images) {
      hint.hidden = false;
      const Q = it.points || [], at = (q) => (q ? `(${sig(q[0])}, ${sig(q[1])})` : "–");
      hint.textContent = "";
      strip.textContent = `decoded: A ${at(Q[0])} → … → B ${at(Q[Q.length - 1])} · ${Q.length} points, the dashed path in the data plane`;
      strip.style.fontSize = "12px";
      return;
    }
    const key = [it.pixels, s.t, this.pal.key].join("|");
    if (this.drawn.interp === key) return;
    this.drawn.interp = key;
    const b = unb64(it.pixels), [hh, ww] = S.shape, th = Math.round(s.t * hh / ww);
    strip.replaceChildren(h("span", "nnp-end", "A"), ...Array.from({ length: it.steps }, (_, i) => {
      const c = sized(h("canvas", "", null, { title: `step ${i + 1} of ${it.steps}: ${Math.round(100 * i / Math.max(1, it.steps - 1))} % of the way from A to B` }), s.t, th);
      this.image(c, b, i);
      return c;
    }), h("span", "nnp-end", "B"));
  }

  // ---- pointer --------------------------------------------------------------------------
  clickPlane(e) {
    const f = this.current;
    if (!f || !f.plane) return;
    const p = f.plane, G = this.geom(p.x0, p.x1, p.y0, p.y1);
    if (e.offsetX < AXIS_L || e.offsetY > G.n) return;
    const x = G.ix(e.offsetX), y = this.scene.latent === 1 ? 0 : G.iy(e.offsetY);
    this.probe(x, y);
  }

  probe(x, y) {
    const r = (v) => Number(v.toPrecision(6));
    this.wantProbe = [r(x), r(y)]; this.probeAt = performance.now();
    this.send("probe", { x: this.wantProbe[0], y: this.wantProbe[1] });
    this.drawPlanes();
  }

  clickGrid(e) {
    if (!this.scene.images) return;
    const t = this.tileAt(e);
    if (t && this.current.grid.g > 1) this.probe(...this.tilePoint(t));
  }

  hoverPlane(e) {
    const f = this.current, D = this.dots;
    if (!f || !f.plane || !D || e.offsetX < AXIS_L || e.offsetY > this.sz.side) { this.unhover(); return; }
    let best = -1, bd = 64;
    for (let i = 0; i < D.length / 2; i++) {
      const dx = D[2 * i] - e.offsetX, dy = D[2 * i + 1] - e.offsetY, dd = dx * dx + dy * dy;
      if (dd < bd) { bd = dd; best = i; }
    }
    const S = this.scene, p = f.plane, G = this.geom(p.x0, p.x1, p.y0, p.y1), c = f.codes, L1 = S.latent === 1;
    const pos = (x, y) => (L1 ? sig(x) : `(${sig(x)}, ${sig(y)})`), pca = c.axes === "pca" ? " (PCA axes)" : "";
    const at = pos(G.ix(e.offsetX), G.iy(e.offsetY));
    let text = `plane ${at}${pca}\nclick: decode this code`;
    if (best >= 0) text = `test input ${best} · class ${S.classes[S.labels[best]]}\ncode ${pos(c.x[best], c.y[best])}${pca}\nclick: decode ${at}`;
    this.showTip(e, text);
    const g = f.grid && f.grid.g;
    const tile = S.images && g > 1 ? [Math.round((p.y1 - G.iy(e.offsetY)) / (p.y1 - p.y0) * (g - 1)), Math.round((G.ix(e.offsetX) - p.x0) / (p.x1 - p.x0) * (g - 1))] : null;
    if (String(tile) !== String(this.hoverTile)) { this.hoverTile = tile; this.drawPlanes(); }
  }

  hoverGrid(e) {
    const f = this.current;
    if (!f || !f.plane) return;
    if (!this.scene.images) {
      const G = this.dataGeom;
      if (!G || e.offsetX < AXIS_L || e.offsetY > G.n) { this.unhover(); return; }
      this.showTip(e, `x = (${sig(G.ix(e.offsetX))}, ${sig(G.iy(e.offsetY))})`);
      return;
    }
    const t = this.tileAt(e);
    if (!t) { this.unhover(); return; }
    const [x, y] = this.tilePoint(t), L1 = this.scene.latent === 1;
    this.showTip(e, `row ${t[0] + 1}, column ${t[1] + 1}\ndecoded from ${L1 ? "z = " + sig(x) : `(${sig(x)}, ${sig(y)})`}${f.codes.axes === "pca" ? " (PCA axes)" : ""}\nclick: decode it large`);
    if (String(t) !== String(this.hoverTile)) { this.hoverTile = t; this.drawPlanes(); }
  }

  unhover() {
    this.tip.hidden = true;
    if (this.hoverTile) { this.hoverTile = null; this.drawPlanes(); }
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
  if (!view) view = parentElement.__nnpView = new AutoencoderView(parentElement, "nnp-ae", CSS);
  if (data) view.receive(data, setTriggerValue);
}
