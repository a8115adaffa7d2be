// The autoencoder view: the code space of an autoencoder trained live. Sent after
// playground/zoo/player.js (Player, the playback, the drawing helpers); every number comes from
// the server (playground/zoo/autoencoder/frames.py, whose header names the protocol).
//   scene: {images, shape, latent, classes, layers, params, labels, range, gallery}
//   frame: {codes {x, y, var, axes}, plane {x0, x1, y0, y1}, grid {g, data}, recon, test_points?,
//           decoded? {z, pixels | point}, interp? {a, b, steps, pixels | points}}
// Triggers back: pull, need (Player's); probe {x, y} (a click in the latent plane, plane
// coordinates); pair {a, b} (two gallery positions, clicked one after the other).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

const CSS = `
.nnp-ae { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b); }
.nnp-ae * { box-sizing: border-box; }
.nnp-ae canvas { display: block; }
.nnp-ae .nnp-status { display: flex; gap: 1.2em; align-items: baseline; height: 34px; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-ae .nnp-epoch { font-size: 1.45rem; font-weight: 600; min-width: 6.5em; }
.nnp-ae .nnp-metrics { font-size: 0.95rem; }
.nnp-ae .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-ae .nnp-arch { display: flex; gap: 10px; margin: 2px 0 8px; height: 24px; }
.nnp-ae .nnp-box { flex: 1 1 auto; min-width: 0; padding: 0 7px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); line-height: 22px; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-box.code { border-color: var(--nnp-accent); }
.nnp-ae .nnp-body { display: flex; gap: 14px; align-items: flex-start; }
.nnp-ae .nnp-col { flex: none; }
.nnp-ae .nnp-sub { font-size: 12px; font-weight: 600; line-height: 16px; height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-ae .nnp-sub i { font-weight: 400; font-style: normal; opacity: 0.75; }
.nnp-ae .nnp-gallery { display: grid; gap: 3px; margin-bottom: 6px; }
.nnp-ae .nnp-gallery canvas, .nnp-ae .nnp-img { image-rendering: pixelated; outline: 1px solid var(--nnp-line); cursor: pointer; }
.nnp-ae .nnp-gallery canvas.a, .nnp-ae .nnp-gallery canvas.b { outline: 2px solid var(--nnp-accent); }
.nnp-ae .nnp-strip { display: flex; gap: 3px; margin-bottom: 6px; }
.nnp-ae .nnp-strip canvas { image-rendering: pixelated; outline: 1px solid var(--nnp-line); }
.nnp-ae .nnp-latent { cursor: crosshair; border: 1px solid var(--nnp-line); }
.nnp-ae .nnp-note { font-size: 12px; line-height: 15px; opacity: 0.8; margin: 2px 0 6px; }
.nnp-ae .nnp-legend { font-size: 11px; line-height: 14px; display: flex; flex-wrap: wrap; gap: 2px 8px; margin-top: 4px; }
.nnp-ae .nnp-legend span::before { content: "●"; margin-right: 2px; color: var(--c); }`;

// Ten class colours that read on light and dark pages.
const CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

class AutoencoderView extends Player {
  build() {
    this.STICKY = ["decoded", "interp"];
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
      <span class="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-arch"></div>
      <div class="nnp-body">
      <div class="nnp-col nnp-left"><div class="nnp-sub nnp-gal-title"></div><div class="nnp-gallery"></div>
      <div class="nnp-sub">reconstructions <i>· same order</i></div><div class="nnp-gallery nnp-recon"></div>
      <div class="nnp-sub nnp-interp-title"></div><div class="nnp-strip" data-testid="nnp-interp"></div></div>
      <div class="nnp-col nnp-mid"><div class="nnp-sub nnp-latent-title"></div>
      <canvas class="nnp-latent" data-testid="nnp-latent"></canvas><div class="nnp-legend"></div></div>
      <div class="nnp-col nnp-gridcol"><div class="nnp-sub nnp-grid-title"></div><canvas class="nnp-grid" data-testid="nnp-grid"></canvas>
      <div class="nnp-sub nnp-dec-title"></div><canvas class="nnp-img nnp-decoded" data-testid="nnp-decoded"></canvas></div>
      <div class="nnp-col nnp-right"><canvas class="nnp-curve"></canvas><div class="nnp-note nnp-about"></div></div></div>`;
    this.chosen = [];
    window.__nnpAutoencoder = this;  // for tests: framesShown, lastFrame
    this.q(".nnp-latent").addEventListener("click", (e) => this.probe(e));
  }

  onTheme(pal) {
    const paper = pal.dark ? [30, 32, 40] : [255, 255, 255], ink = pal.dark ? [240, 240, 240] : [20, 20, 24];
    Object.assign(pal, { grey: Array.from({ length: 256 }, (_, b) => mix(paper, ink, b / 255)) });
  }

  onScene(scene) {
    this.chosen = [];
    const boxes = scene.layers.map((ly, i) => {
      const code = i === scene.code_layer;
      return h("div", "nnp-box" + (code ? " code" : ""), `${ly.label} · ${ly.shape}`, { title: `${ly.label}\n${ly.params.toLocaleString("en-US")} params` });
    });
    this.q(".nnp-arch").replaceChildren(...boxes);
    const G = scene.gallery;
    this.thumbs = [];
    if (scene.images) {
      this.galleryPixels = unb64(G.pixels);
      this.thumbs = G.indices.map((_, i) => {
        const c = h("canvas", "", null, { "data-testid": "nnp-gallery-" + i, title: `test image · class ${scene.classes[G.labels[i]]}\nclick two: walk from one to the other` });
        c.addEventListener("click", () => this.choose(i));
        return c;
      });
      this.reconThumbs = G.indices.map(() => h("canvas"));
    } else {
      this.reconThumbs = [];
    }
    this.q(".nnp-gallery").replaceChildren(...this.thumbs);
    this.q(".nnp-recon").replaceChildren(...this.reconThumbs);
    this.q(".nnp-gal-title").innerHTML = scene.images ? "test inputs <i>· click two to interpolate</i>" : "";
    this.q(".nnp-legend").replaceChildren(...scene.classes.map((c, k) => {
      const s = h("span", "", c); s.style.setProperty("--c", CLASS_COLORS[k % 10]); return s;
    }));
    this.q(".nnp-about").textContent = scene.images
      ? `Each input is squeezed into ${scene.latent} number${scene.latent > 1 ? "s" : ""} and rebuilt from them. Similar images get nearby codes: the classes (never shown to the network) gather in clusters. Click the plane to decode any point.`
      : `Each point is squeezed into ${scene.latent} number${scene.latent > 1 ? "s" : ""} and rebuilt; the lines join points to their reconstructions, the mesh is the decoder's image of the code plane.`;
  }

  sizes() {
    const W = Math.max(640, this.el.clientWidth || 1000), top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 28, 440, 1100), bodyH = avail - 34 - 32 - 14;
    const leftW = this.scene.images ? Math.round(clamp(W * 0.17, 150, 300)) : 0, rightW = Math.round(clamp(W * 0.2, 180, 360));
    const room = W - leftW - rightW - 3 * 14;
    const plane = Math.floor(Math.min(bodyH - 40, room * 0.55)), grid = Math.floor(Math.min(room - plane - 14, bodyH * 0.62));
    return { bodyH, leftW, rightW, plane, grid, dec: Math.floor(clamp(bodyH - grid - 50, 40, grid)) };
  }

  redraw() {
    if (!this.scene || !this.pal) return;
    if (!this.sz) {
      const s = (this.sz = this.sizes());
      this.q(".nnp-left").style.width = px(s.leftW);
      this.q(".nnp-left").hidden = !this.scene.images;
      this.q(".nnp-right").style.width = px(s.rightW);
      this.q(".nnp-mid").style.width = px(s.plane);
      this.q(".nnp-gridcol").style.width = px(s.grid);
      const cols = 4, t = Math.floor((s.leftW - 3 * (cols - 1)) / cols);
      for (const g of this.el.querySelectorAll(".nnp-gallery")) g.style.gridTemplateColumns = `repeat(${cols}, ${t}px)`;
      for (const c of [...this.thumbs, ...this.reconThumbs]) sized(c, t, t);
      this.thumb = t;
    }
    const f = this.current, s = this.sz;
    this.drawStatus(f);
    drawCurve(this.q(".nnp-curve"), s.rightW, Math.min(260, s.bodyH * 0.55), this.curve, this.pal, false);
    if (this.scene.images) this.drawImages(f);
    this.drawPlane(f);
    this.drawGrid(f);
    this.drawDecoded();
  }

  drawStatus(f) {
    const into = f && f.part ? ` + ${f.part}/${f.parts}` : "";
    const label = "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US") + into, el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;
    const parts = [];
    for (const k of ["test_loss", "train_loss"]) if (this.latest(k) !== null) parts.push(`${k.replace("_", " ")} <b>${sig(this.latest(k))}</b>`);
    parts.push(`code of ${this.scene.latent}`, `${this.scene.params.toLocaleString("en-US")} parameters`);
    this.q(".nnp-metrics").innerHTML = parts.join(" · ");
  }

  image(canvas, bytes, i) {
    const [hh, ww] = this.scene.shape;
    indexImage(canvas, bytes, i * hh * ww, ww, hh, this.pal.grey);
  }

  drawImages(f) {
    this.thumbs.forEach((c, i) => {
      this.image(c, this.galleryPixels, i);
      c.classList.toggle("a", this.chosen[0] === i); c.classList.toggle("b", this.chosen[1] === i);
    });
    if (f && f.recon) { const r = unb64(f.recon); this.reconThumbs.forEach((c, i) => this.image(c, r, i)); }
    const it = this.sticky.interp, strip = this.q(".nnp-strip");
    this.q(".nnp-interp-title").innerHTML = it ? "interpolation <i>· through the code space</i>" : "interpolation <i>· click two inputs</i>";
    if (it && it.pixels) {
      const b = unb64(it.pixels);
      if (strip.children.length !== it.steps) strip.replaceChildren(...Array.from({ length: it.steps }, () => h("canvas")));
      const t = Math.floor((this.sz.leftW - 3 * (it.steps - 1)) / it.steps);
      [...strip.children].forEach((c, i) => { sized(c, t, t); this.image(c, b, i); });
    }
  }

  // Plane coordinates <-> canvas pixels (square canvas, y up).
  toPx(x, y) {
    const p = this.current.plane, n = this.sz.plane;
    return [(x - p.x0) / (p.x1 - p.x0) * n, (1 - (y - p.y0) / (p.y1 - p.y0)) * n];
  }

  drawPlane(f) {
    const n = this.sz.plane, ctx = setupCanvas(this.q(".nnp-latent"), n, n), P = this.pal;
    const c = f && f.codes;
    this.q(".nnp-latent-title").innerHTML = c && c.axes === "pca"
      ? `code plane <i>· PCA of the ${this.scene.latent}-number codes (${pct(c.var[0])}, ${pct(c.var[1])}) · click to decode</i>`
      : `code plane <i>· the test set's codes · click to decode</i>`;
    if (!c) return;
    const labels = this.scene.labels;
    for (let i = 0; i < c.x.length; i++) {
      const [x, y] = this.toPx(c.x[i], c.y[i]);
      ctx.fillStyle = CLASS_COLORS[labels[i] % 10];
      ctx.globalAlpha = 0.75; ctx.beginPath(); ctx.arc(x, y, 2.6, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.globalAlpha = 1;
    const p = f.plane;
    ctx.fillStyle = P.text; ctx.font = "11px sans-serif";
    ctx.textAlign = "left"; ctx.fillText(sig(p.x0), 3, n - 4);
    ctx.textAlign = "right"; ctx.fillText(sig(p.x1), n - 3, n - 4); ctx.fillText(sig(p.y1), n - 3, 12);
    const d = this.sticky.decoded;
    if (d) {
      const [x, y] = this.toPx(d.z[0], d.z[1]);
      ctx.strokeStyle = P.accent; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7); ctx.stroke();
    }
  }

  drawGrid(f) {
    const s = this.sz, canvas = this.q(".nnp-grid");
    if (!f || !f.grid) return;
    const g = f.grid.g;
    if (this.scene.images) {
      this.q(".nnp-grid-title").innerHTML = `decodings <i>· a ${g}×${g} grid over the plane</i>`;
      // Tiles one paper pixel apart, so that neighbours read as separate images.
      const [hh, ww] = this.scene.shape, b = unb64(f.grid.data), W = g * (ww + 1) - 1, H = g * (hh + 1) - 1, all = new Uint8Array(W * H);
      for (let k = 0; k < g * g; k++) {
        const r = Math.floor(k / g), col = k % g;
        for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) all[(r * (hh + 1) + y) * W + col * (ww + 1) + x] = b[k * hh * ww + y * ww + x];
      }
      indexImage(canvas, all, 0, W, H, this.pal.grey);
      sized(canvas, s.grid, s.grid); canvas.style.imageRendering = "pixelated";
      return;
    }
    // Points: the data plane, each test point joined to its reconstruction, the decoder's mesh.
    this.q(".nnp-grid-title").innerHTML = "data plane <i>· points → reconstructions, the decoder's image</i>";
    const n = s.grid, ctx = setupCanvas(canvas, n, n), [lo, hi] = this.scene.range, P = this.pal;
    const X = (v) => (v - lo) / (hi - lo) * n, Y = (v) => (1 - (v - lo) / (hi - lo)) * n;
    ctx.strokeStyle = P.line; ctx.strokeRect(0, 0, n, n);
    const pts = f.test_points || [], rec = f.recon || [], labels = this.scene.labels;
    ctx.lineWidth = 1;
    for (let i = 0; i < pts.length; i++) {
      ctx.strokeStyle = CLASS_COLORS[labels[i] % 10]; ctx.globalAlpha = 0.5;
      ctx.beginPath(); ctx.moveTo(X(pts[i][0]), Y(pts[i][1])); ctx.lineTo(X(rec[i][0]), Y(rec[i][1])); ctx.stroke();
      ctx.globalAlpha = 0.9; ctx.fillStyle = CLASS_COLORS[labels[i] % 10];
      ctx.beginPath(); ctx.arc(X(pts[i][0]), Y(pts[i][1]), 2.2, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.globalAlpha = 1; ctx.strokeStyle = P.text; ctx.lineWidth = 1.4;
    const m = f.grid.data;
    for (let r = 0; r < g; r++) {
      ctx.beginPath();
      for (let c = 0; c < g; c++) { const q = m[r * g + c]; ctx[c ? "lineTo" : "moveTo"](X(q[0]), Y(q[1])); }
      ctx.stroke();
    }
    if (this.scene.latent > 1) {
      for (let c = 0; c < g; c++) {
        ctx.beginPath();
        for (let r = 0; r < g; r++) { const q = m[r * g + c]; ctx[r ? "lineTo" : "moveTo"](X(q[0]), Y(q[1])); }
        ctx.stroke();
      }
    }
  }

  drawDecoded() {
    const d = this.sticky.decoded, canvas = this.q(".nnp-decoded");
    this.q(".nnp-dec-title").innerHTML = d ? `decoded <i>· z = (${sig(d.z[0])}, ${sig(d.z[1])})</i>` : "decoded <i>· click the code plane</i>";
    canvas.hidden = !(d && d.pixels);
    if (d && d.pixels) {
      const [hh, ww] = this.scene.shape;
      indexImage(canvas, unb64(d.pixels), 0, ww, hh, this.pal.grey);
      sized(canvas, this.sz.dec, this.sz.dec);
    }
  }

  probe(e) {
    if (!this.current || !this.current.plane) return;
    const r = e.currentTarget.getBoundingClientRect(), p = this.current.plane, n = this.sz.plane;
    const x = p.x0 + (e.clientX - r.left) / n * (p.x1 - p.x0), y = p.y0 + (1 - (e.clientY - r.top) / n) * (p.y1 - p.y0);
    this.send("probe", { x, y });
  }

  choose(i) {
    this.chosen = this.chosen.length === 1 && this.chosen[0] !== i ? [this.chosen[0], i] : [i];
    if (this.chosen.length === 2) this.send("pair", { a: this.chosen[0], b: this.chosen[1] });
    this.redraw();
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpView;
  if (!view) view = parentElement.__nnpView = new AutoencoderView(parentElement, "nnp-ae", CSS);
  if (data) view.receive(data, setTriggerValue);
}
