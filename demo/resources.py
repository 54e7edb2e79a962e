"""A believable resource directory for the demo department.

National services are listed with their published numbers (988, Crisis Text Line, the Veterans
Crisis Line, SAMHSA's helpline, COPLINE). Where we could not confirm a number, the entry gives
only the organisation's website. The department's own and local services are fictional: their
numbers are in the 555-01xx range set aside for fiction, and their e-mail and web addresses are
under .test, which can never be delivered to or resolved.
"""

from django.db import transaction

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.resources.models import Category, Cost, Resource

from .personas import demo_refuse_in_production

LOCAL = "demo.peersupport.test"

DEMO_RESOURCES: list[dict] = [
    {
        "name": "988 Suicide & Crisis Lifeline",
        "category": Category.CRISIS_LINE,
        "description": (
            "Free, confidential support from trained crisis counsellors for anyone in "
            "emotional distress, thinking about suicide, in a substance use crisis, or worried "
            "about someone else. Call, text or chat. Veterans can press 1 after dialling."
        ),
        "phone": "988",
        "text_number": "988",
        "website": "https://988lifeline.org",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "Crisis Text Line",
        "category": Category.CRISIS_LINE,
        "description": (
            "Text with a trained crisis counsellor when talking out loud is not possible or "
            "not wanted: after a hard call, at the end of a shift, at home at night."
        ),
        "text_number": "741741",
        "text_keyword": "HOME",
        "website": "https://www.crisistextline.org",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "Veterans Crisis Line",
        "category": Category.CRISIS_LINE,
        "description": (
            "For veterans, service members and their families, many of whom also serve in the "
            "department. Dial 988 and press 1, or text 838255."
        ),
        "phone": "988",
        "text_number": "838255",
        "website": "https://www.veteranscrisisline.net",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "COPLINE",
        "category": Category.CRISIS_LINE,
        "description": (
            "A confidential hotline for current and retired law enforcement officers and their "
            "families, answered by trained retired officers who know the job. Not connected to "
            "any department."
        ),
        "phone": "1-800-267-5463",
        "website": "https://www.copline.org",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "Safe Call Now",
        "category": Category.CRISIS_LINE,
        "description": (
            "A confidential referral service for public safety employees and their families, "
            "staffed by people with public safety and treatment experience. Their current "
            "number is on their website."
        ),
        "website": "https://www.safecallnow.org",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "Professional Advocacy Unit",
        "category": Category.ADVOCACY,
        "description": (
            "The department's own licensed counsellors and advocates. Confidential short-term "
            "counselling after critical incidents, help through investigations, injury and "
            "return to work, and referrals to outside specialists. Takes referrals from peer "
            "supporters."
        ),
        "phone": "(555) 555-0140",
        "email": f"advocacy@{LOCAL}",
        "address": "Demo City Police Headquarters, 3rd floor\n100 Main Street\nDemo City",
        "hours": "Mon–Fri 7–6; on call after hours through dispatch",
        "available_24_7": False,
        "cost": Cost.FREE,
        "is_internal": True,
    },
    {
        "name": "Employee Assistance Program (EAP)",
        "category": Category.EAP,
        "description": (
            "Confidential counselling for employees and everyone in their household: stress, "
            "grief, relationships, parenting, elder care, money and legal questions. The "
            "department learns nothing about who uses it."
        ),
        "phone": "(555) 555-0110",
        "website": f"https://eap.{LOCAL}",
        "hours": "24/7 phone line; appointments Mon–Sat",
        "available_24_7": True,
        "cost": Cost.FREE,
        "cost_note": "first six sessions per issue free",
    },
    {
        "name": "Department Chaplain Program",
        "category": Category.CHAPLAIN,
        "description": (
            "Volunteer chaplains of several faiths, and none, who ride along, visit the "
            "injured and support families after a death or a line-of-duty injury. Anyone may "
            "ask, whatever their beliefs."
        ),
        "phone": "(555) 555-0120",
        "email": f"chaplains@{LOCAL}",
        "hours": "24/7 on call through dispatch",
        "available_24_7": True,
        "cost": Cost.FREE,
        "is_internal": True,
    },
    {
        "name": "Behavioral Health Services psychologist",
        "category": Category.MEDICAL,
        "description": (
            "The Behavioral Health Services Division's psychologists: confidential "
            "assessment and counselling, critical incident debriefings, and sleep, trauma and "
            "anxiety care for employees."
        ),
        "phone": "(555) 555-0150",
        "email": f"bhs@{LOCAL}",
        "hours": "Mon–Fri 8–5",
        "cost": Cost.FREE,
        "is_internal": True,
    },
    {
        "name": "Riverside First Responder Clinic",
        "category": Category.MEDICAL,
        "description": (
            "Outpatient mental health clinic with clinicians experienced with police, fire and "
            "dispatch: trauma therapy (EMDR, CPT), couples work and medication management."
        ),
        "phone": "(555) 555-0161",
        "website": f"https://riverside-clinic.{LOCAL}",
        "address": "42 River Road, Suite 200\nDemo City",
        "hours": "Mon–Thu 8–8, Fri 8–5",
        "cost": Cost.INSURANCE,
        "cost_note": "in network with the department's health plans",
    },
    {
        "name": "SAMHSA National Helpline",
        "category": Category.SUBSTANCE_USE,
        "description": (
            "Confidential treatment referral and information about alcohol and drug use and "
            "mental health, in English and Spanish, for the person or their family."
        ),
        "phone": "1-800-662-4357",
        "website": "https://www.samhsa.gov/find-help/national-helpline",
        "hours": "24/7",
        "available_24_7": True,
        "cost": Cost.FREE,
    },
    {
        "name": "Harbor Recovery Center",
        "category": Category.SUBSTANCE_USE,
        "description": (
            "Outpatient and residential treatment for alcohol and drug use, with a group for "
            "first responders and a family programme."
        ),
        "phone": "(555) 555-0172",
        "website": f"https://harbor-recovery.{LOCAL}",
        "hours": "Intake Mon–Sat 8–8",
        "cost": Cost.INSURANCE,
        "cost_note": "sliding scale without insurance",
    },
    {
        "name": "Police Credit Union financial counselling",
        "category": Category.FINANCIAL,
        "description": (
            "One-to-one help with a budget, debt, a mortgage in trouble or the cost of an "
            "injury or divorce, from certified financial counsellors."
        ),
        "phone": "(555) 555-0130",
        "email": f"counselling@cu.{LOCAL}",
        "hours": "Mon–Fri 9–5",
        "cost": Cost.FREE,
        "cost_note": "free for members and their families",
    },
    {
        "name": "Demo County Legal Aid Society",
        "category": Category.LEGAL,
        "description": (
            "Civil legal help: family law, custody, housing, debt collection, wills and "
            "powers of attorney. Not for criminal or disciplinary matters."
        ),
        "phone": "(555) 555-0183",
        "website": f"https://legalaid.{LOCAL}",
        "address": "15 Court Street\nDemo City",
        "hours": "Mon–Fri 9–4",
        "cost": Cost.LOW_COST,
        "cost_note": "free or low cost depending on income",
    },
    {
        "name": "Family and Couples Counselling Center",
        "category": Category.FAMILY,
        "description": (
            "Marriage, couples and family counselling, including help for children and "
            "partners living with shift work, injury or trauma."
        ),
        "phone": "(555) 555-0194",
        "email": f"intake@family-counselling.{LOCAL}",
        "hours": "Mon–Fri 9–7, Sat 9–1",
        "cost": Cost.VARIES,
        "cost_note": "insurance or sliding scale",
    },
    {
        "name": "Blue Family Support Circle",
        "category": Category.FAMILY,
        "description": (
            "A monthly peer group for spouses, partners and parents of department members, "
            "run by family members with the Peer Support Program."
        ),
        "email": f"families@{LOCAL}",
        "hours": "First Tuesday of the month, 7 pm",
        "address": "Community Room, North Precinct\n800 Elm Avenue\nDemo City",
        "cost": Cost.FREE,
        "is_internal": True,
    },
]


def load_demo() -> str:
    """Fill an empty directory with the demo entries; leave one that has any entry alone.

    Each entry is validated as the coordinator's form would; one audit event covers the whole
    load, as for the rest of the demo department. Refused in production, where fictional
    numbers would mislead someone in need.
    """
    demo_refuse_in_production()
    with transaction.atomic():
        if Resource.objects.exists():
            count = Resource.objects.active().count()
            return f"Resource directory: already has entries ({count} active); nothing added."
        resources = [Resource(**entry) for entry in DEMO_RESOURCES]
        for resource in resources:
            resource.full_clean()
        Resource.objects.bulk_create(resources)
        record(actor=None, action=AuditAction.DEMO_LOADED, details={"resources": len(resources)})
    return f"Resource directory: {len(resources)} demo entries added."
