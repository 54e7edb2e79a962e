"""The kinds of alert the committee app sends (templates/messages/committee/), for the
notification settings: what each says, whether it is urgent, and which roles receive it."""

KINDS = {
    "committee/voting_open": {
        "label": "Voting is open in a committee election",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
