// The GAN view: GAN Lab's picture of the game, live. Sent after playground/zoo/player.js (Player,
// the playback, the drawing helpers); every number comes from the server (zoo/gan/frames.py).
//   scene: {images, dataset, loss, noise, noise_dim, heat_n, lattice_n, drawing, d_label, networks,
//           real?, extent?, modes?, near?, drawn?, real_pixels?, real_n?}
//   frame: {epoch, g_steps, d_steps, moved, points, fake?, push?, heat? {n, lo, hi, data}, lattice?,
//           pixels?, samples_n?, quality}
// Triggers back: pull, need (Player's); drawn {points: [[x, y], ...]} (the user's target, when
// scene.drawing, sent when a stroke ends with at least 8 points).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

const GAN_CSS = `
.nnp-gan { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b); }
.nnp-gan * { box-sizing: border-box; }
.nnp-gan [hidden] { display: none !important; }
.nnp-gan canvas { display: block; }
.nnp-gan .nnp-status { display: flex; gap: 1.2em; align-items: baseline; height: 32px; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-gan .nnp-epoch { font-size: 1.4rem; font-weight: 600; min-width: 6em; }
.nnp-gan .nnp-metrics { font-size: 0.95rem; overflow: hidden; text-overflow: ellipsis; }
.nnp-gan .nnp-moved { font-size: 0.9rem; color: var(--nnp-accent); font-weight: 600; }
.nnp-gan .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-gan .nnp-body { display: flex; gap: 16px; align-items: flex-start; }
.nnp-gan .nnp-chips { display: flex; flex-wrap: wrap; gap: 4px 12px; height: 22px; overflow: hidden; font-size: 12px; align-items: center; }
.nnp-gan .nnp-chips label { display: inline-flex; gap: 4px; align-items: center; cursor: pointer; white-space: nowrap; }
.nnp-gan .nnp-chips i { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--c); }
.nnp-gan .nnp-chips button { font: inherit; font-size: 12px; padding: 0 8px; border: 1px solid var(--nnp-line); border-radius: 5px; background: var(--nnp-panel); color: inherit; cursor: pointer; }
.nnp-gan .nnp-plane { cursor: default; border: 1px solid var(--nnp-line); }
.nnp-gan .nnp-plane.draw { cursor: crosshair; }
.nnp-gan .nnp-side { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.nnp-gan .nnp-sub { font-size: 12px; font-weight: 600; line-height: 16px; height: 17px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-gan .nnp-sub i { font-weight: 400; font-style: normal; opacity: 0.75; }
.nnp-gan .nnp-row { display: flex; gap: 12px; align-items: flex-start; }
.nnp-gan .nnp-quality { font-size: 13px; line-height: 18px; font-variant-numeric: tabular-nums; }
.nnp-gan .nnp-quality b { font-weight: 600; }
.nnp-gan .nnp-note { font-size: 12px; line-height: 16px; padding: 5px 8px; border-left: 3px solid var(--nnp-accent); background: var(--nnp-panel); border-radius: 4px; }
.nnp-gan .nnp-hint { font-size: 12px; opacity: 0.8; }
.nnp-gan .nnp-digits canvas { image-rendering: pixelated; outline: 1px solid var(--nnp-line); }
`;

const REAL_L = [27, 158, 119], REAL_D = [72, 210, 160], FAKE_L = [123, 50, 148], FAKE_D = [200, 140, 255];

class GanView extends Player {
  build() {
    this.el.innerHTML = "";
    this.status = h("div", "nnp-status");
    this.status.append(h("span", "nnp-epoch", "Epoch 0"), h("span", "nnp-metrics"), h("span", "nnp-moved"), h("span", "nnp-rate", "starting…"));
    this.body = h("div", "nnp-body");
    this.el.append(this.status, this.body);
    this.show_ = { heat: true, real: true, fake: true, push: true, lattice: false, modes: true };
    this.energy = [];
    window.__nnpGan = this;  // for tests: framesShown, lastFrame, scene, drawn
  }

  onScene(S) {
    this.energy = [];
    this.drawn = (S.drawn || []).map((p) => p.slice());
    this.body.innerHTML = "";
    const left = h("div", "nnp-main"), side = h("div", "nnp-side");
    this.body.append(left, side);
    if (S.images) {
      left.append(h("div", "nnp-sub", "Generated digits ", { title: "64 samples from fixed noise" }),
        h("canvas", "nnp-samples", null, { "data-testid": "nnp-gan-samples" }));
      left.className = "nnp-main nnp-digits";
      const real = h("div", "nnp-digits");
      real.append(h("div", "nnp-sub", "Real digits"), h("canvas", "nnp-real"));
      side.append(real);
    } else {
      const chips = h("div", "nnp-chips");
      const items = [["heat", "D's map", null], ["real", "real", "real"], ["fake", "generated", "fake"], ["push", "G's push", null],
        ["lattice", "noise grid", null], ...(S.modes ? [["modes", "modes", null]] : [])];
      for (const [k, label, dot] of items) {
        const l = h("label"), box = h("input", null, null, { type: "checkbox", "data-layer": k });
        box.checked = this.show_[k];
        box.addEventListener("change", () => { this.show_[k] = box.checked; this.redraw(); });
        l.append(box);
        if (dot) { const i = h("i"); i.dataset.dot = dot; l.append(i); }
        l.append(document.createTextNode(label));
        chips.append(l);
      }
      if (S.drawing) {
        const clear = h("button", null, "Clear drawing", { "data-testid": "nnp-gan-clear" });
        clear.addEventListener("click", () => { this.drawn = []; this.redraw(); });
        chips.append(clear, h("span", "nnp-hint nnp-drawhint"));
      }
      const plane = h("canvas", "nnp-plane" + (S.drawing ? " draw" : ""), null, { "data-testid": "nnp-gan-plane" });
      left.append(chips, plane);
      if (S.drawing) this.bindDrawing(plane);
      const noise = h("div");
      noise.append(h("div", "nnp-sub", S.noise_dim >= 2 ? "Noise space " : "Noise line "), h("canvas", "nnp-noise"));
      noise.firstChild.append(h("i", null, S.noise_dim > 2 ? `(z1, z2; the other ${S.noise_dim - 2} at 0)` : `(${S.noise})`));
      const q = h("div");
      q.append(h("div", "nnp-sub", "Quality"), h("div", "nnp-quality"), h("canvas", "nnp-modes"));
      const row = h("div", "nnp-row");
      row.append(noise, q);
      side.append(row);
    }
    if (S.images) side.append(h("div", "nnp-quality"), h("canvas", "nnp-hist"));
    side.append(h("div", "nnp-sub", "Losses ", {}), h("canvas", "nnp-loss"), h("div", "nnp-sub", "What D says "), h("canvas", "nnp-dsays"), h("div", "nnp-note", null, { hidden: "" }));
    this.sz = null;
    if (this.pal) this.onTheme(this.pal);
  }

  onTheme(pal) {
    pal.textRGB = parseColor(pal.text) || (pal.dark ? [250, 250, 250] : [49, 51, 63]);
    pal.real = pal.dark ? REAL_D : REAL_L; pal.fake = pal.dark ? FAKE_D : FAKE_L;
    const paper = pal.dark ? [30, 32, 40] : [255, 255, 255], ink = pal.dark ? [240, 240, 240] : [20, 20, 24];
    pal.grey = Array.from({ length: 256 }, (_, b) => mix(paper, ink, b / 255));
    pal.heat = pal.div.map((c) => mix(pal.zero, c, 0.6));
    pal.muted = rgb(mix(pal.zero, pal.textRGB, 0.45));
    for (const i of this.el.querySelectorAll("i[data-dot]")) i.style.setProperty("--c", rgb(pal[i.dataset.dot]));
  }

  sizes() {
    const W = Math.max(640, this.el.clientWidth || 1000);
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 24, 380, 1000);
    const bodyH = avail - 40;
    const side = Math.floor(clamp(Math.min(bodyH - 26, W * 0.5), 260, 900));
    const rightW = W - side - 16;
    return { W, bodyH, side, rightW };
  }

  redraw() {
    const S = this.scene;
    if (!S || !this.pal) return;
    if (!this.sz) this.sz = this.sizes();
    const f = this.current, s = this.sz;
    this.drawStatus(f);
    if (S.images) this.drawDigits(f, s); else this.drawPlane(f, s);
    const chartW = s.rightW, chartH = Math.round(clamp((s.bodyH - (S.images ? 250 : Math.min(200, s.rightW * 0.45) + 40)) / 2 - 40, 90, 260));
    this.lossChart(this.q(".nnp-loss"), chartW, chartH, [["d_loss", "D loss", this.pal.fake], ["g_loss", "G loss", this.pal.real]], null);
    const ref = S.loss === "nonsaturating" || S.loss === "minimax" ? 0.5 : null;
    this.lossChart(this.q(".nnp-dsays"), chartW, chartH, [["d_real", "D on real", this.pal.real], ["d_fake", "D on generated", this.pal.fake]], ref);
    this.q(".nnp-dsays").previousSibling.textContent = "What D says " + (S.loss === "wgan-gp" ? "(the critic's mean score)" : ref ? "(mean P(real); 0.5 at the equilibrium)" : "(mean output)");
    this.drawQuality(f, s);
  }

  drawStatus(f) {
    this.q(".nnp-epoch").textContent = `Epoch ${f ? f.epoch : 0}`;
    const c = this.curve, n = (c.epoch || []).length;
    const last = (k) => (n ? sig(c[k][n - 1]) : "–");
    this.q(".nnp-metrics").textContent = f ? `G steps ${f.g_steps.toLocaleString("en-US")} · D steps ${f.d_steps.toLocaleString("en-US")} · D loss ${last("d_loss")} · G loss ${last("g_loss")}` : "";
    const moved = f && f.moved;
    this.q(".nnp-moved").textContent = moved === "d" ? "Step D: only the discriminator moved" : moved === "g" ? "Step G: only the generator moved" : "";
  }

  // ---- the plane (2-D targets) ----------------------------------------------------------
  toPx(x, y) {
    const E = this.scene.extent, n = this.sz.side;
    return [(x + E) / (2 * E) * n, (E - y) / (2 * E) * n];
  }

  drawPlane(f, s) {
    const S = this.scene, P = this.pal, cv = this.q(".nnp-plane"), n = s.side, E = S.extent;
    const ctx = setupCanvas(cv, n, n);
    if (f && f.heat && this.show_.heat) {
      this.heatCanvas = indexImage(this.heatCanvas || document.createElement("canvas"), unb64(f.heat.data), 0, f.heat.n, f.heat.n, P.heat);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.heatCanvas, 0, 0, n, n);
    }
    ctx.strokeStyle = P.line; ctx.lineWidth = 1;
    for (let v = -Math.floor(E); v <= E; v++) {  // unit grid lines, the axes darker
      const [px0] = this.toPx(v, 0), [, py0] = this.toPx(0, v);
      ctx.globalAlpha = v === 0 ? 0.9 : 0.35;
      ctx.beginPath(); ctx.moveTo(px0, 0); ctx.lineTo(px0, n); ctx.moveTo(0, py0); ctx.lineTo(n, py0); ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = P.muted; ctx.font = "11px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText(`±${sig(E)}`, 4, 4);
    if (S.modes && this.show_.modes) {
      ctx.setLineDash([3, 3]); ctx.strokeStyle = P.text; ctx.globalAlpha = 0.6;
      for (const [x, y] of S.modes) {
        const [px0, py0] = this.toPx(x, y);
        ctx.beginPath(); ctx.arc(px0, py0, Math.max(3, S.near / (2 * E) * n), 0, 2 * Math.PI); ctx.stroke();
      }
      ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    if (this.show_.real) this.dots(ctx, S.real, rgb(P.real), 2);
    if (f && f.lattice && this.show_.lattice) this.drawLattice(ctx, f.lattice, S);
    if (f && f.fake && this.show_.fake) this.dots(ctx, f.fake, rgb(P.fake), 2.2);
    if (f && f.push && this.show_.push) this.drawPush(ctx, f.fake, f.push, n);
    if (S.drawing) {
      this.dots(ctx, this.drawn, P.accent, 3);
      const hint = this.q(".nnp-drawhint");
      if (hint) hint.textContent = `drag to draw the target · ${this.drawn.length} points` + (this.drawn.length < 8 ? " (8 at least)" : "");
    }
    if (f && f.heat && this.show_.heat) this.heatLegend(ctx, f.heat, n);
    if (S.noise_dim >= 1) this.drawNoise(f, s);
  }

  // The map's scale in the plane's corner: D's lowest value (blue, "generated-looking") to its
  // highest (orange, "real-looking").
  heatLegend(ctx, heat, n) {
    const P = this.pal, w = 90, x = n - w - 8, y = n - 30;
    ctx.fillStyle = P.dark ? "rgba(14,17,23,0.75)" : "rgba(255,255,255,0.8)";
    ctx.fillRect(x - 6, y - 16, w + 12, 40);
    for (let i = 0; i < w; i++) { ctx.fillStyle = rgb(P.heat[Math.round(i / (w - 1) * 255)]); ctx.fillRect(x + i, y, 1, 8); }
    ctx.fillStyle = P.text; ctx.font = "10px sans-serif"; ctx.textBaseline = "top";
    ctx.textAlign = "left"; ctx.fillText(sig(heat.lo), x, y + 10);
    ctx.textAlign = "right"; ctx.fillText(sig(heat.hi), x + w, y + 10);
    ctx.textAlign = "center"; ctx.fillText(this.scene.d_label.split(",")[0], x + w / 2, y - 13);
  }

  dots(ctx, pts, color, r) {
    ctx.fillStyle = color;
    for (const [x, y] of pts || []) {
      const [px0, py0] = this.toPx(x, y);
      ctx.beginPath(); ctx.arc(px0, py0, r, 0, 2 * Math.PI); ctx.fill();
    }
  }

  // Arrows: where the generator's next update pushes each of the first 200 samples, the longest
  // 7 % of the plane.
  drawPush(ctx, fake, push, n) {
    const k = Math.min(200, push.length);
    let top = 1e-12;
    for (let i = 0; i < k; i++) top = Math.max(top, Math.hypot(push[i][0], push[i][1]));
    const scale = 0.07 * n / top;
    ctx.strokeStyle = this.pal.text; ctx.globalAlpha = 0.7; ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < k; i++) {
      const [x, y] = this.toPx(fake[i][0], fake[i][1]), dx = push[i][0] * scale, dy = -push[i][1] * scale;
      const len = Math.hypot(dx, dy);
      if (len < 1) continue;
      ctx.moveTo(x, y); ctx.lineTo(x + dx, y + dy);
      const a = Math.atan2(dy, dx), hd = Math.min(4, len / 2);
      ctx.moveTo(x + dx, y + dy); ctx.lineTo(x + dx - hd * Math.cos(a - 0.5), y + dy - hd * Math.sin(a - 0.5));
      ctx.moveTo(x + dx, y + dy); ctx.lineTo(x + dx - hd * Math.cos(a + 0.5), y + dy - hd * Math.sin(a + 0.5));
    }
    ctx.stroke(); ctx.globalAlpha = 1;
  }

  latticeColor(i, m) {
    const r = Math.floor(i / m) / Math.max(1, m - 1), c = (i % m) / Math.max(1, m - 1);
    return `hsl(${Math.round(300 * c)}, 70%, ${Math.round(this.pal.dark ? 70 - 30 * r : 30 + 35 * r)}%)`;
  }

  drawLattice(ctx, lat, S) {
    const m = S.lattice_n, P = this.toPx.bind(this);
    ctx.lineWidth = 1; ctx.strokeStyle = this.pal.muted; ctx.globalAlpha = 0.8;
    ctx.beginPath();
    if (S.noise_dim === 1) {
      lat.forEach(([x, y], i) => { const [a, b] = P(x, y); ctx[i ? "lineTo" : "moveTo"](a, b); });
    } else {
      for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) {
        const [a, b] = P(...lat[r * m + c]);
        if (c) ctx.lineTo(a, b); else ctx.moveTo(a, b);
      }
      for (let c = 0; c < m; c++) for (let r = 0; r < m; r++) {
        const [a, b] = P(...lat[r * m + c]);
        if (r) ctx.lineTo(a, b); else ctx.moveTo(a, b);
      }
    }
    ctx.stroke(); ctx.globalAlpha = 1;
    if (S.noise_dim >= 2) lat.forEach(([x, y], i) => { ctx.fillStyle = this.latticeColor(i, m); const [a, b] = P(x, y); ctx.fillRect(a - 1.5, b - 1.5, 3, 3); });
  }

  // The noise square (or line), coloured by position: the same colours mark where the generator
  // sends each noise point on the plane (tick "noise grid").
  drawNoise(f, s) {
    const S = this.scene, cv = this.q(".nnp-noise");
    if (!cv) return;
    const w = Math.round(clamp(Math.min(s.rightW * 0.42, s.bodyH * 0.26), 110, 220));
    const ctx = setupCanvas(cv, w, w), m = S.lattice_n;
    ctx.strokeStyle = this.pal.line; ctx.strokeRect(0.5, 0.5, w - 1, w - 1);
    if (S.noise_dim === 1) {
      ctx.strokeStyle = this.pal.muted; ctx.beginPath(); ctx.moveTo(8, w / 2); ctx.lineTo(w - 8, w / 2); ctx.stroke();
      return;
    }
    const g = (w - 16) / (m - 1);
    for (let i = 0; i < m * m; i++) {
      ctx.fillStyle = this.latticeColor(i, m);
      ctx.fillRect(8 + (i % m) * g - 2, 8 + Math.floor(i / m) * g - 2, 4, 4);
    }
  }

  bindDrawing(cv) {
    let down = false, lastPx = null;
    const add = (e) => {
      const r = cv.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      if (lastPx && Math.hypot(x - lastPx[0], y - lastPx[1]) < 6) return;
      if (this.drawn.length >= 500) return;
      lastPx = [x, y];
      const E = this.scene.extent, n = this.sz.side;
      this.drawn.push([+(x / n * 2 * E - E).toFixed(3), +(E - y / n * 2 * E).toFixed(3)]);
      this.redraw();
    };
    cv.addEventListener("pointerdown", (e) => { down = true; lastPx = null; cv.setPointerCapture(e.pointerId); add(e); });
    cv.addEventListener("pointermove", (e) => { if (down) add(e); });
    const end = () => {
      if (!down) return;
      down = false;
      if (this.drawn.length >= 8) this.send("drawn", { points: this.drawn.slice(0, 500) });
    };
    cv.addEventListener("pointerup", end);
    cv.addEventListener("pointercancel", end);
  }

  // ---- digits -----------------------------------------------------------------------------
  // A grid of 8×8 images from one-byte pixels, cols across, gap 1 pixel, scaled up.
  mosaic(canvas, bytes, count, cols, cell) {
    const rows = Math.ceil(count / cols), W = cols * 9 - 1, H = rows * 9 - 1;
    const idx = new Uint8Array(W * H);
    for (let k = 0; k < count; k++) {
      const ox = (k % cols) * 9, oy = Math.floor(k / cols) * 9;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) idx[(oy + y) * W + ox + x] = bytes[k * 64 + y * 8 + x];
    }
    const pal = this.pal.grey.slice();
    indexImage(canvas, idx, 0, W, H, pal);
    sized(canvas, W * cell, H * cell);
  }

  drawDigits(f, s) {
    const S = this.scene;
    const cell = Math.max(2, Math.floor(Math.min(s.side, s.bodyH - 24) / (8 * 9)));
    if (f && f.pixels) this.mosaic(this.q(".nnp-samples"), unb64(f.pixels), f.samples_n, 8, cell);
    this.mosaic(this.q(".nnp-real"), unb64(S.real_pixels), S.real_n, 8, Math.max(2, Math.floor(cell * 0.5)));
    this.sz.rightW = Math.max(300, s.W - 8 * 9 * cell - 24);
  }

  // ---- charts and numbers ------------------------------------------------------------------
  lossChart(cv, w, hh, series, ref) {
    const P = this.pal, ctx = setupCanvas(cv, w, hh), c = this.curve, ep = c.epoch || [], l = 42, t = 16, pw = w - l - 8, ph = hh - t - 18;
    ctx.font = "11px sans-serif"; ctx.textBaseline = "middle";
    let lx = l;
    for (const [, label, color] of series) {
      ctx.fillStyle = rgb(color); ctx.fillRect(lx, 4, 14, 3); ctx.fillStyle = P.text; ctx.textAlign = "left"; ctx.fillText(label, lx + 18, 6);
      lx += 30 + ctx.measureText(label).width;
    }
    const vals = series.flatMap(([k]) => (c[k] || []).filter((v) => v !== null && isFinite(v)));
    let lo = Math.min(0, ...vals), hi = Math.max(ref || 0, ...vals, 1e-6);
    if (!vals.length) { lo = 0; hi = 1; }
    const span = hi - lo || 1, x1 = Math.max(1, ep[ep.length - 1] || 1);
    const Y = (v) => t + (1 - (v - lo) / span) * ph;
    ctx.strokeStyle = P.line; ctx.lineWidth = 1; ctx.strokeRect(l, t, pw, ph);
    if (ref !== null && ref !== undefined) {
      ctx.setLineDash([4, 3]); ctx.beginPath(); ctx.moveTo(l, Y(ref)); ctx.lineTo(l + pw, Y(ref)); ctx.stroke(); ctx.setLineDash([]);
    }
    ctx.lineWidth = 1.6;
    for (const [k, , color] of series) {
      const ys = c[k] || [];
      ctx.strokeStyle = rgb(color); ctx.beginPath();
      let pen = false;
      for (let i = 0; i < ep.length; i++) {
        const v = ys[i], ok = v !== null && v !== undefined && isFinite(v);
        if (ok) ctx[pen ? "lineTo" : "moveTo"](l + ep[i] / x1 * pw, Y(v));
        pen = ok;
      }
      ctx.stroke();
    }
    ctx.fillStyle = P.text; ctx.textAlign = "right";
    ctx.fillText(sig(hi), l - 4, t + 4); ctx.fillText(sig(lo), l - 4, t + ph - 4);
    ctx.textAlign = "center"; ctx.fillText(`epoch (${x1.toLocaleString("en-US")})`, l + pw / 2, hh - 7);
  }

  show(f, addPoints) {
    if (f && f.quality && f.quality.energy !== undefined) {
      this.energy.push(f.quality.energy);
      if (this.energy.length > 400) this.energy = this.energy.filter((_, i) => i % 2 === 1);
    }
    super.show(f, addPoints);
  }

  drawQuality(f, s) {
    const S = this.scene, q = f && f.quality, box = this.q(".nnp-quality"), note = this.q(".nnp-note");
    if (!q) { box.textContent = ""; note.hidden = true; return; }
    let html = "", warn = "";
    if (S.images) {
      html = `recognized with ≥ 90 % confidence: <b>${pct(q.confident)}</b> <i>(real digits ${pct(q.real.confident)})</i><br>`
        + `classes seen: <b>${q.classes} / 10</b> · class entropy <b>${sig(q.entropy_bits)}</b> bits <i>(real ${sig(q.real.entropy_bits)})</i>`;
      this.bars(this.q(".nnp-hist"), Math.min(s.rightW, 360), 70, q.histogram, "0123456789".split(""), 1);
      if (q.classes <= 3 && f.epoch > 20) warn = `Mode collapse: the reader sees only ${q.classes} digit classes in the samples. Try a lower G learning rate, k > 1 or wgan-gp.`;
    } else {
      if (q.modes) {
        html += `modes covered <b>${q.covered} / ${q.modes}</b> · <b>${pct(q.near_share)}</b> of samples near a mode<br>`;
        if (q.covered <= q.modes / 2 && q.near_share > 0.5 && f.epoch > 5) {
          warn = `Mode collapse: the generator puts its samples on ${q.covered} of ${q.modes} modes, where the discriminator is weakest; `
            + "the discriminator will push them off, and they may jump to another mode. Try a lower G learning rate, k > 1, or wgan-gp.";
        }
      }
      html += `energy distance to the real data <b>${sig(q.energy)}</b> <i>(0 is perfect)</i>`;
      const cv = this.q(".nnp-modes");
      if (q.per_mode) this.bars(cv, Math.round(clamp(s.rightW * 0.5, 140, 320)), 56, q.per_mode.map((v) => v / 1000), null, Math.max(...q.per_mode.map((v) => v / 1000), 0.01));
      else this.spark(cv, Math.round(clamp(s.rightW * 0.5, 140, 320)), 56);
    }
    box.innerHTML = html;
    note.hidden = !warn; note.textContent = warn;
  }

  bars(cv, w, hh, vals, labels, top) {
    const ctx = setupCanvas(cv, w, hh), n = vals.length, bw = w / n, P = this.pal, lab = labels ? 12 : 0;
    ctx.fillStyle = rgb(P.fake);
    vals.forEach((v, i) => { const bh = (hh - lab - 2) * Math.min(1, v / top); ctx.fillRect(i * bw + 1, hh - lab - bh, Math.max(1, bw - 2), bh); });
    if (labels) {
      ctx.fillStyle = P.text; ctx.font = "10px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      labels.forEach((t, i) => ctx.fillText(t, i * bw + bw / 2, hh));
    }
  }

  spark(cv, w, hh) {
    const ctx = setupCanvas(cv, w, hh), e = this.energy, P = this.pal;
    if (e.length < 2) return;
    const hi = Math.max(...e, 1e-6);
    ctx.strokeStyle = rgb(P.fake); ctx.lineWidth = 1.4; ctx.beginPath();
    e.forEach((v, i) => ctx[i ? "lineTo" : "moveTo"](i / (e.length - 1) * w, hh - 2 - (v / hi) * (hh - 14)));
    ctx.stroke();
    ctx.fillStyle = P.text; ctx.font = "10px sans-serif"; ctx.textBaseline = "top"; ctx.fillText("energy distance, frame by frame", 0, 0);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpView;
  if (!view) view = parentElement.__nnpView = new GanView(parentElement, "nnp-gan", GAN_CSS);
  if (data) view.receive(data, setTriggerValue);
}
