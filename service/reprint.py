"""An agreement rendered again from its register entry, and checked against the hashes recorded
when it was issued.

The renderers give the same bytes for the same issue (its date, customer and terms), profile,
program version and font: rendering the agreement again from the register and finding each
file's SHA-256 equal to the recorded one shows that the register alone suffices to reproduce
what was signed. A difference says that one of those inputs changed since (the provider's
details in the profile, the program or the font version), not that the register is wrong.
The provider's sealed copies (`seal`) are not rendered again: `sealed_copies` names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.errors import HistoryError
from contracts.profile import Profile
from contracts.register import agreed_profile
from store import Store
from store.atomic import PRIVATE

from .generate import AgreementRequest, build_agreement
from .output import write_documents


@dataclass(frozen=True)
class Reprinted:
    format: str
    path: Path  # the file written now
    recorded_name: str
    recorded_sha256: str
    sha256: str

    @property
    def same(self) -> bool:
        return self.sha256 == self.recorded_sha256


def reprint_agreement(store: Store, profile: Profile, contract_no: str, out_dir: Path) -> list[Reprinted]:
    """The agreement of CONTRACT_NO rendered again into OUT_DIR, in every format the register
    holds a hash of (an existing file is never overwritten)."""
    from .register import load_state

    state = load_state(store, profile, contract_no)
    issued = state.issued
    if not issued.files:
        raise HistoryError(f"合同 {contract_no} 的签发记录中没有文书的哈希（未生成文件的已签署协议，或由没有记录哈希"
                           "的版本登记），无从核对")
    request = AgreementRequest(issued.customer, issued.annual_fee, issued.effective_date)
    doc = build_agreement(agreed_profile(state, profile), request, contract_no, issued.issued_on)
    recorded = {f.format: f for f in issued.files}
    stem = Path(issued.files[0].name).stem
    written = write_documents(doc, Path(out_dir), tuple(recorded), stem, mode=PRIVATE)
    return [Reprinted(w.format, w.path, recorded[w.format].name, recorded[w.format].sha256, w.sha256)
            for w in written]


def sealed_copies(store: Store, profile: Profile, contract_no: str) -> list[str]:
    """The registered file names of the agreement's sealed copies: a signature carries its own
    time and random values, so they are never rendered again; the register keeps them."""
    from contracts.events import Sealed
    from contracts.sealing import sealed_document_no

    from .register import load_state

    state = load_state(store, profile, contract_no)
    return [f.name for e in state.events if isinstance(e.body, Sealed)
            and sealed_document_no(e.body, state.contract_no) == state.contract_no for f in e.body.files]
