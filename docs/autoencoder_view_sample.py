import sys; sys.path.insert(0, "/work/main")  # noqa
import json

from playground.live import channel
from playground.zoo.autoencoder import frames
from playground.zoo.autoencoder.config import AeConfig
from playground.zoo.autoencoder.task import Session

CASES = {
    "ae_digits2": AeConfig(),
    "ae_digits8": AeConfig(latent=8),
    "ae_spiral1": AeConfig(dataset="spiral", n_samples=400, latent=1, encoder=("dense units=32 activation=tanh",), decoder=("dense units=32 activation=tanh",)),
    "ae_moons2": AeConfig(dataset="moons", n_samples=400),
}
for name, cfg in CASES.items():
    s = Session(cfg)
    sent, out, seq, since = {}, [], 0, 0
    sc = frames.scene(s.task, s.table())
    for batch in range(5):
        fs = []
        for k in range(4):
            s.step(3)
            f = frames.frame(s.task, s.params, s.history, since, probe=(0.5, -0.3) if batch > 2 else None, pair=(0, 5) if batch > 3 else None)
            since = f["epoch"]
            fs.append(f)
        seq += 1
        d = channel.payload(seq, True, sc, fs, sent=sent)
        d.pop("code", None)
        out.append(d)
    seq += 1
    d = channel.payload(seq, False, sc, [frames.frame(s.task, s.params, s.history, since, probe=(0.1, 0.2), pair=(1, 7))], sent=sent, curve=s.history)
    d.pop("code", None)
    out.append(d)
    json.dump(out, open(f"/tmp/proto/{name}.json", "w"))
    print(name, s.epoch, round(s.history["test_loss"][-1], 4), len(json.dumps(out[-1])))
