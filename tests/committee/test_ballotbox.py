"""The sealed ballot box (peersupport/committee/ballotbox.py): the count code, sealing, sealing
again at every vote, and opening the box; and every way a code or a box can be wrong."""

import pytest

from peersupport.committee import ballotbox


def test_a_new_key_gives_a_count_code_that_gives_it_back():
    public, code = ballotbox.new_key()
    assert len(public) == 32
    groups = code.split("-")
    assert len(groups) == 13 and all(len(g) == 4 and g.isalnum() for g in groups)
    assert ballotbox.public_bytes(ballotbox.private_key(code, public)) == public
    # Typed by a person: case, spaces and dashes do not matter.
    typed = f"  {code.lower().replace('-', ' ')} "
    assert ballotbox.public_bytes(ballotbox.private_key(typed, public)) == public
    assert ballotbox.new_key()[1] != code


@pytest.mark.parametrize(
    "code",
    ["", "ABCD", "A" * 51, "A" * 53, "0" * 52, "1" * 52, "!" * 52, "٣" * 52, None],
)
def test_a_malformed_code_is_refused(code):
    public, _ = ballotbox.new_key()
    with pytest.raises(ballotbox.WrongCountCode):
        ballotbox.private_key(code, public)


def test_another_elections_code_is_refused():
    public, _ = ballotbox.new_key()
    _, other = ballotbox.new_key()
    with pytest.raises(ballotbox.WrongCountCode):
        ballotbox.private_key(other, public)


def test_every_vote_seals_every_ballot_again_and_the_count_opens_them():
    public, code = ballotbox.new_key()
    box: list[bytes] = []
    cast = [[3], [1, 2], [2], [5, 4]]
    for n, choices in enumerate(cast, start=1):
        before = set(box)
        box = ballotbox.cast(public, box, choices)
        assert len(box) == n and not set(box) & before
        assert {len(b) for b in box} == {ballotbox.PLAIN_SIZE + n * ballotbox.LAYER_OVERHEAD}
    key = ballotbox.private_key(code, public)
    assert sorted(ballotbox.open_box(key, box)) == sorted([sorted(c) for c in cast])


def test_a_box_not_sealed_to_the_key_does_not_open():
    public, code = ballotbox.new_key()
    box = ballotbox.cast(public, [], [7])
    other_public, other_code = ballotbox.new_key()
    with pytest.raises(ballotbox.InvalidTag):
        ballotbox.open_box(ballotbox.private_key(other_code, other_public), box)
    key = ballotbox.private_key(code, public)
    tampered = bytearray(box[0])
    tampered[-1] ^= 1
    with pytest.raises(ballotbox.InvalidTag):
        ballotbox.open_box(key, [bytes(tampered)])
    with pytest.raises(ValueError, match="wrong size"):
        ballotbox.open_box(key, [box[0][:-1]])
    with pytest.raises(ValueError, match="one size"):
        ballotbox.cast(public, [box[0], box[0][:-1]], [7])


def test_a_ballot_has_a_fixed_size_and_refuses_more():
    assert len(ballotbox.encode([1])) == len(ballotbox.encode([10**18, 2])) == ballotbox.PLAIN_SIZE
    assert ballotbox.decode(ballotbox.encode([9, 2])) == [2, 9]
    with pytest.raises(ballotbox.BallotTooLong):
        ballotbox.encode(list(range(10**17, 10**17 + 60)))
