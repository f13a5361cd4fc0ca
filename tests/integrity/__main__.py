"""`python -m tests.integrity`: print the probe table of docs/reliability.md from the fault suite."""

from tests.integrity.probes import REGISTRY, markdown
from tests.integrity.test_reliability_doc import _probes

if __name__ == "__main__":
    _probes()
    print(markdown(REGISTRY))
