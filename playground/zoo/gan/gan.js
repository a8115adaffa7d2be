// The GAN view (placeholder: the full view replaces this). Sent after player.js.
class GanView extends Player {
  build() { this.el.appendChild(h("div", "nnp-status", "GAN")); }
  onScene(scene) {}
  redraw() { window.__nnpGan = this; }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpView;
  if (!view) view = parentElement.__nnpView = new GanView(parentElement, "nnp-gan", "");
  view.receive(data, setTriggerValue);
}
