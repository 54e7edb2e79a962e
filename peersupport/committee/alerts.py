"""The kinds of alert the advisory committee sends (peersupport/notifications/kinds.py). None is
urgent: elections run over days."""

KINDS = {
    "committee/election_open": {
        "label": "An advisory committee election is open",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "committee/nominated": {
        "label": "You are nominated for the advisory committee",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "committee/results": {
        "label": "The results of an advisory committee election",
        "urgent": False,
        "roles": ["peer_supporter", "committee_member", "coordinator"],
    },
    "committee/count_due": {
        "label": "Voting has closed: the votes are to count",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "committee/voting_open": {
        "label": "Voting is open in a committee election",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
