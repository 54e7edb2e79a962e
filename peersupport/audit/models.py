from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    LOGOUT = "auth.logout", "Signed out"
    LOCKOUT = "auth.lockout", "Account locked out"
    MFA_CHANGED = "auth.mfa_changed", "Multi-factor authentication changed"
    PASSWORD_CHANGED = "auth.password_changed", "Password changed"
    ACCESS_DENIED = "auth.access_denied", "Access denied"
    ACCOUNT_LINKED = "account.linked", "Account linked to employee record"
    ROLE_GRANTED = "role.granted", "Role granted"
    ROLE_REVOKED = "role.revoked", "Role revoked"
    ROLE_GRANT_REQUESTED = "role.grant_requested", "Role grant asked for"
    ROLE_GRANT_REFUSED = "role.grant_refused", "Role grant refused by the approver"
    ROLE_GRANT_LAPSED = "role.grant_lapsed", "Role grant request lapsed"
    UNIT_CREATED = "unit.created", "Unit created"
    UNIT_UPDATED = "unit.updated", "Unit updated"
    EMPLOYEE_CREATED = "employee.created", "Employee record created"
    EMPLOYEE_UPDATED = "employee.updated", "Employee record updated"
    ROSTER_IMPORTED = "employee.roster_imported", "HR roster imported"
    PROFILE_UPDATED = "profile.updated", "Profile updated"
    ALERT_SETTINGS_CHANGED = "alerts.settings_changed", "Alert settings changed"
    DEMO_LOADED = "demo.loaded", "Demo department loaded"
    RESOURCE_CREATED = "resource.created", "Resource added to the directory"
    RESOURCE_UPDATED = "resource.updated", "Resource updated"
    RESOURCE_RETIRED = "resource.retired", "Resource retired"
    RESOURCE_RESTORED = "resource.restored", "Resource restored"
    AUDIT_VIEWED = "audit.viewed", "Audit log viewed"
    AUDIT_RESTORE_ACKNOWLEDGED = "audit.restore_acknowledged", "Restored backup acknowledged"
    SESSIONS_ENDED = "auth.sessions_ended", "Sessions ended"
    ACCOUNT_DISABLED = "account.disabled", "Account disabled"
    ACCOUNT_ENABLED = "account.enabled", "Account enabled"
    KEYS_ROTATED = "crypto.keys_rotated", "Encryption keys rotated"
    REQUEST_CREATED = "support.request_created", "Support request made"
    REQUEST_OFFERED = "support.request_offered", "Support request offered"
    REQUEST_ACCEPTED = "support.request_accepted", "Support request accepted"
    REQUEST_PASSED = "support.request_passed", "Support request passed"
    REQUEST_WAITING_RAISED = "support.request_waiting_raised", "Waiting request raised"
    REQUEST_WITHDRAWN = "support.request_withdrawn", "Support request withdrawn"
    REQUEST_CLOSED = "support.request_closed", "Support request closed"
    REQUEST_VIEWED = "support.request_viewed", "Support request opened"
    REQUESTS_PURGED = "support.requests_purged", "Closed requests purged"
    MESSAGE_SENT = "support.message_sent", "Message sent"
    CONTACT_LOGGED = "support.contact_logged", "Contact logged"
    FOLLOWUP_DONE = "support.followup_done", "Follow-up done"
    DEBRIEF_REQUESTED = "support.debrief_requested", "Debrief requested"
    DEBRIEF_HANDLED = "support.debrief_handled", "Debrief handled"
    ROSTER_STATUS_CHANGED = "roster.status_changed", "Supporter status changed"
    ROSTER_PROFILE_UPDATED = "roster.profile_updated", "Supporter profile updated"
    ROSTER_AVAILABILITY_CHANGED = "roster.availability_changed", "Supporter availability changed"
    SELECTION_NOMINATED = "selection.nominated", "Colleague nominated as a peer supporter"
    SELECTION_MOVED = "selection.moved", "Candidacy moved to its next stage"
    SELECTION_ROUND_OPENED = "selection.round_opened", "Nomination round set"
    SELECTION_SCORED = "selection.scored", "Interview scored by a panelist"
    SELECTION_NOTES_VIEWED = "selection.notes_viewed", "Interview notes read"
    SELECTION_STALL_RAISED = "selection.stall_raised", "Chain-of-command wait raised"
    ROSTER_REQUESTS_REOFFERED = "roster.requests_reoffered", "Open requests re-offered"
    POLICY_DRAFTED = "policy.drafted", "Policy version drafted"
    POLICY_SUBMITTED = "policy.submitted", "Policy version submitted for approval"
    POLICY_APPROVED = "policy.approved", "Policy version approved"
    POLICY_RETURNED = "policy.returned", "Policy version returned with comments"
    POLICY_ACKNOWLEDGED = "policy.acknowledged", "Policy version acknowledged"
    POLICY_ACK_REMINDED = "policy.ack_reminded", "Supporters reminded to acknowledge the policy"
    POLICY_PDF = "policy.pdf", "Policy version printed as PDF"
    CATEGORY_CREATED = "policy.category_created", "Exception category added"
    CATEGORY_UPDATED = "policy.category_updated", "Exception category changed"
    CATEGORY_RETIRED = "policy.category_retired", "Exception category retired"
    CATEGORY_RESTORED = "policy.category_restored", "Exception category restored"
    ESCALATION_RAISED = "escalation.raised", "Confidentiality exception raised"
    ESCALATION_VIEWED = "escalation.viewed", "Escalation opened"
    ESCALATION_ALERTED = "escalation.alerted", "Escalation alert sent (a round)"
    ESCALATION_ACKNOWLEDGED = "escalation.acknowledged", "Escalation acknowledged"
    ESCALATION_RESOLVED = "escalation.resolved", "Escalation resolved"
    DUTY_ASSIGNED = "escalation.duty_assigned", "On-duty roster entry added"
    DUTY_ENDED = "escalation.duty_ended", "On-duty roster entry ended"
    RELEASE_CREATED = "release.created", "Release of information recorded"
    RELEASE_VIEWED = "release.viewed", "Release of information opened"
    RELEASE_PDF = "release.pdf", "Release of information printed as PDF"
    RELEASE_REVOKED = "release.revoked", "Release of information revoked"
    RELEASE_ENDED = "release.ended", "Release of information ended by its expiry event"
    RELEASES_PURGED = "release.purged", "Releases past their retention purged"
    DISCLOSURE_RECORDED = "release.disclosure_recorded", "Disclosure recorded under a release"
    DISCLOSURE_REFUSED = "release.disclosure_refused", "Disclosure refused (no valid release)"
    PUSH_DEVICE_ADDED = "push.device_added", "Device added for push alerts"
    PUSH_DEVICE_RENEWED = "push.device_renewed", "Device for push alerts added again"
    PUSH_DEVICE_REMOVED = "push.device_removed", "Device for push alerts removed"
    PUSH_DEVICE_TESTED = "push.device_tested", "Test push alert sent to a device"
    PUSH_DEVICE_GONE = "push.device_gone", "Push service no longer knows a device"
    TRAINING_COURSE_SAVED = "training.course_saved", "Training course saved"
    TRAINING_SESSION_SAVED = "training.session_saved", "Training session saved"
    TRAINING_SESSION_CANCELLED = "training.session_cancelled", "Training session cancelled"
    TRAINING_ENROLLED = "training.enrolled", "Enrolled in a training session"
    TRAINING_ENROLMENT_CANCELLED = "training.enrolment_cancelled", "Training enrolment cancelled"
    TRAINING_WAITLIST_PROMOTED = "training.waitlist_promoted", "Moved up from a waiting list"
    TRAINING_ATTENDANCE_RECORDED = "training.attendance_recorded", "Training attendance recorded"
    TRAINING_ATTENDANCE_CORRECTED = "training.attendance_corrected", "Training attendance corrected"
    TRAINING_FEED_RESET = "training.feed_reset", "Training calendar address reset"
    TRAINING_INITIAL_COMPLETED = "training.initial_completed", "Initial training completed"
    TRAINING_NONCOMPLIANT = "training.noncompliant", "Supporter out of training compliance"
    TRAINING_EXPORTED = "training.exported", "Training hours exported"

    OUTREACH_OPENED = "outreach.opened", "Outreach opened"
    OUTREACH_VIEWED = "outreach.viewed", "Outreach opened for reading"
    OUTREACH_PERSON_ADDED = "outreach.person_added", "Affected person added to an outreach"
    OUTREACH_PERSON_RESUMED = "outreach.person_resumed", "Affected person asked for support again"
    OUTREACH_TASK_ADDED = "outreach.task_added", "Outreach follow-up planned"
    OUTREACH_TASK_CANCELLED = "outreach.task_cancelled", "Outreach follow-up cancelled"
    OUTREACH_ASSIGNED = "outreach.assigned", "Supporter assigned to an affected person"
    OUTREACH_ANSWERED = "outreach.answered", "Outreach assignment accepted or declined"
    OUTREACH_ATTEMPT = "outreach.attempt", "Outreach follow-up attempt recorded"
    OUTREACH_GROUP_SCHEDULED = "outreach.group_scheduled", "Group support session scheduled"
    OUTREACH_GROUP_ATTENDANCE = "outreach.group_attendance", "Group session attendance recorded"
    OUTREACH_CLOSED = "outreach.closed", "Outreach closed"
    OUTREACH_OVERDUE_RAISED = "outreach.overdue_raised", "Overdue outreach follow-up raised"
    OUTREACH_REMINDED = "outreach.reminded", "Supporter reminded of an overdue follow-up"
    OUTREACH_PLAN_CHANGED = "outreach.plan_changed", "Outreach follow-up plan changed"
    OUTREACH_RESPONDER_MARKED = "outreach.responder_marked", "Supporter marked as a responder"
    OUTREACH_RESPONDER_UNMARKED = (
        "outreach.responder_unmarked",
        "Supporter no longer marked as a responder",
    )
    COMMITTEE_SEAT_CREATED = "committee.seat_created", "Committee seat added"
    COMMITTEE_SEAT_RETIRED = "committee.seat_retired", "Committee seat retired"
    COMMITTEE_MEMBER_SEATED = "committee.member_seated", "Committee member seated"
    COMMITTEE_MEMBER_ENDED = "committee.member_ended", "Committee membership ended"
    COMMITTEE_ELECTION_OPENED = "committee.election_opened", "Committee election opened"
    COMMITTEE_CANDIDATE = "committee.candidate", "Committee candidacy stood, nominated or answered"
    COMMITTEE_VOTED = "committee.voted", "Voted in a committee election (never how)"
    COMMITTEE_ELECTION_TALLIED = "committee.election_tallied", "Committee election tallied"
    COMMITTEE_ELECTION_VOIDED = "committee.election_voided", "Committee election voided"
    REPORTS_CSV_EXPORTED = "reports.csv_exported", "Program report table exported (CSV)"
    REPORTS_PDF_EXPORTED = "reports.pdf_exported", "Program report exported (PDF)"
    REPORTS_PERIOD_CLOSED = "reports.period_closed", "Reporting period closed"
    CALENDAR_FEED_RESET = "calendar.feed_reset", "Calendar address made"
    CALENDAR_FEED_REVOKED = "calendar.feed_revoked", "Calendar address stopped"
    WEBHOOK_ADDED = "webhook.added", "Webhook endpoint added"
    WEBHOOK_CHANGED = "webhook.changed", "Webhook endpoint changed"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated", "Webhook signing secret rotated"
    WEBHOOK_DELETED = "webhook.deleted", "Webhook endpoint deleted"
    WEBHOOK_TESTED = "webhook.tested", "Test event sent to a webhook endpoint"
    API_TOKEN_CREATED = "api.token_created", "Integration token made"
    API_TOKEN_REVOKED = "api.token_revoked", "Integration token revoked"
    CISM_MEMBER_ADDED = "cism.member_added", "CISM team member added"
    CISM_MEMBER_CHANGED = "cism.member_changed", "CISM team member's role changed"
    CISM_MEMBER_REMOVED = "cism.member_removed", "CISM team member removed"
    CISM_ACTIVATED = "cism.activated", "CISM team activated"
    CISM_VIEWED = "cism.viewed", "CISM activation opened for reading"
    CISM_ANSWERED = "cism.answered", "CISM call-out accepted or declined"
    CISM_SESSION_SCHEDULED = "cism.session_scheduled", "CISM defusing or debriefing scheduled"
    CISM_SESSION_ATTENDANCE = "cism.session_attendance", "CISM session attendance recorded"
    CISM_OUTREACH_OPENED = "cism.outreach_opened", "Outreach opened from a CISM activation"
    CISM_STOOD_DOWN = "cism.stood_down", "CISM team stood down"
    CISM_EXPORTED = "cism.exported", "CISM activation log exported (CSV)"
    CISM_REALERTED = "cism.realerted", "CISM members who had not answered alerted again"
    CISM_REMINDED = "cism.reminded", "CISM members who had not answered reminded by staff"


# Actions that record a look, an export or a sign-in: they change none of the data anything is
# computed from. Every other action is a write.
READ_ACTIONS = frozenset(
    {
        AuditAction.LOGIN,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGOUT,
        AuditAction.ACCESS_DENIED,
        AuditAction.AUDIT_VIEWED,
        AuditAction.REQUEST_VIEWED,
        AuditAction.SELECTION_NOTES_VIEWED,
        AuditAction.POLICY_PDF,
        AuditAction.ESCALATION_VIEWED,
        AuditAction.RELEASE_VIEWED,
        AuditAction.RELEASE_PDF,
        AuditAction.TRAINING_EXPORTED,
        AuditAction.OUTREACH_VIEWED,
        AuditAction.REPORTS_CSV_EXPORTED,
        AuditAction.REPORTS_PDF_EXPORTED,
        AuditAction.CISM_VIEWED,
        AuditAction.CISM_EXPORTED,
    }
)


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEvent(models.Model):
    """One thing that happened. Never holds protected content: only ids, kinds and outcomes.

    Rows are append-only (database triggers refuse UPDATE and DELETE) and chained: ``mac`` is an
    HMAC, under a key kept outside the database, over the row's content, its ``seq`` and the
    previous row's ``mac``. Every committed head is also checkpointed outside the database
    (``checkpoints``), so a chain rolled back or wiped is named too. ``manage.py verify_audit``
    recomputes the chain and compares it with the checkpoints.

    The actor is kept as an id and a label rather than a foreign key, so that the row never
    changes (or disappears) when the account it names does.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=254, blank=True)
    # An AuditAction value. Not declared as choices: every feature adds actions, and the column
    # itself never needs to change for that.
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    # The agency the event happened in (issue 23): a number, not a foreign key, as for the
    # actor. Covered by the MAC when set; None on the rows written before agencies (the default
    # agency's) and on install-wide work.
    agency_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome}"

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:  # an action a later version removed
            return self.action


class AuditChainHead(models.Model):
    """The end of the chain: the last ``seq`` and ``mac``, itself MACed. Every append locks this
    one row, so concurrent writers on PostgreSQL never fork the chain, and verification can tell
    when rows were cut from the end."""

    seq = models.BigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, blank=True)
    head_mac = models.CharField(max_length=64, blank=True)
    # Bumped by every successful audited write, never by a read (READ_ACTIONS): a version of
    # the data that caches of aggregates (the program reports) can be keyed by. Not covered by
    # ``head_mac``: it protects nothing, and a wrong value only costs a rebuilt cache.
    data_version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"audit chain head at #{self.seq}"
