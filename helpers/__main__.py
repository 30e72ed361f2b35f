"""`python -m helpers`: find (or fetch) Fashion-MNIST, verify it and say where it is (`make data`)."""
import sys
import time

from .data import DataError, load_fashion_mnist

try:
    start = time.perf_counter()
    data = load_fashion_mnist()
except DataError as err:
    sys.exit(f"error: {err}")
print(f"Fashion-MNIST: {len(data.train_images):,} training and {len(data.test_images):,} test images, "
      f"verified, loaded in {time.perf_counter() - start:.2f} s from:")
for path in data.sources.values():
    print(f"  {path}")
