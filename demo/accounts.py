"""The demo department: a believable, deterministic police department to try the software with.

``demo_department_plan()`` decides everything (units, people, languages, families, accounts and
roles) from ``random.Random(seed)`` alone, without touching the database, so the same seed always
gives the same department. ``demo_department_load()`` writes a plan with a fixed number of bulk
inserts in one transaction: the number of queries does not grow with the number of employees.

Every demo account signs in with ``settings.DEMO_PASSWORD``; every account that holds more than
the plain employee role also has a TOTP authenticator on ``settings.DEMO_TOTP_SECRET``. Both are
published, which is why nothing here runs in production.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import (
    CONFIDENTIAL_ROLES,
    MFA_EXEMPT_ROLES,
    Employee,
    FamilyMember,
    Language,
    Role,
    RoleGrant,
    Unit,
    User,
)
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

DEFAULT_EMPLOYEES = 2_000
DEFAULT_SEED = 1_948  # any fixed number: the default demo is the same everywhere
MIN_EMPLOYEES = 100
MAX_EMPLOYEES = 200_000
EMAIL_DOMAIN = "demo.peersupport.test"  # .test is reserved: nothing can ever be delivered there
EMPLOYEE_NUMBER_PREFIX = "DEMO-"
GRANT_REASON = "demo department"
BATCH_SIZE = 1_000
# Share of the employees who are neither personas nor supporters but have signed up anyway.
ACCOUNT_SHARE = 0.05


@dataclass(frozen=True)
class Persona:
    key: str
    email: str
    label: str
    role: Role  # the role the persona is there to exercise
    granted: Role | None  # the role granted to it; None when the role follows from the records


def _persona(key: str, local: str, role: Role, *, derived: bool = False) -> Persona:
    return Persona(
        key=key,
        email=f"{local}@{EMAIL_DOMAIN}",
        label=role.label,
        role=role,
        granted=None if derived else role,
    )


PERSONAS: tuple[Persona, ...] = (
    _persona("employee", "employee", Role.EMPLOYEE, derived=True),
    _persona("supporter", "supporter", Role.PEER_SUPPORTER),
    _persona("coordinator", "coordinator", Role.COORDINATOR),
    _persona("bhs_manager", "bhs.manager", Role.BHS_MANAGER),
    _persona("advocacy_supervisor", "advocacy", Role.ADVOCACY_SUPERVISOR),
    _persona("chief", "chief", Role.CHIEF),
    _persona("supervisor", "supervisor", Role.SUPERVISOR, derived=True),
    _persona("panelist", "panelist", Role.PANELIST),
    _persona("committee_member", "committee", Role.COMMITTEE_MEMBER),
    _persona("sysadmin", "sysadmin", Role.SYSADMIN),
)
PERSONA_EMAILS = tuple(p.email for p in PERSONAS)


class DemoRefused(ImproperlyConfigured):
    """The demo department would publish a known password; it is never loaded in production."""


def demo_refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoRefused(
            "The demo department is refused in production: its accounts share a published "
            "password and TOTP secret. Run it with PEERSUPPORT_ENV=development."
        )


# --- What a department is made of -----------------------------------------------------------

SWORN, CIVILIAN, CORRECTIONS = (
    Employee.Type.SWORN,
    Employee.Type.CIVILIAN,
    Employee.Type.CORRECTIONS,
)
DAY, EVENING, NIGHT = Employee.Shift.DAY, Employee.Shift.EVENING, Employee.Shift.NIGHT
ROTATING, NO_SHIFT = Employee.Shift.ROTATING, Employee.Shift.NONE

# Titles of the supervisors at each level, by the kind of people the level is made of.
LADDER = {
    SWORN: {
        "division": "Commander",
        "precinct": "Captain",
        "section": "Lieutenant",
        "unit": "Sergeant",
    },
    CORRECTIONS: {
        "division": "Corrections Captain",
        "precinct": "Corrections Lieutenant",
        "section": "Corrections Lieutenant",
        "unit": "Corrections Sergeant",
    },
    CIVILIAN: {
        "division": "Division Manager",
        "precinct": "Section Manager",
        "section": "Section Manager",
        "unit": "Unit Supervisor",
    },
}

# Who works in a unit: (weight, type, title).
STAFF: dict[str, tuple[tuple[int, str, str], ...]] = {
    "patrol": (
        (66, SWORN, "Police Officer"),
        (16, SWORN, "Senior Police Officer"),
        (8, SWORN, "Corporal"),
        (6, CIVILIAN, "Community Service Officer"),
        (2, CIVILIAN, "Administrative Assistant"),
        (2, SWORN, "Police Recruit"),
    ),
    "specialist": (
        (70, SWORN, "Police Officer"),
        (20, SWORN, "Senior Police Officer"),
        (10, SWORN, "Corporal"),
    ),
    "parking": ((85, CIVILIAN, "Parking Enforcement Officer"), (15, CIVILIAN, "Parking Clerk")),
    "detectives": (
        (62, SWORN, "Detective"),
        (16, SWORN, "Police Officer"),
        (12, CIVILIAN, "Crime Analyst"),
        (10, CIVILIAN, "Investigative Aide"),
    ),
    "forensics": (
        (35, CIVILIAN, "Forensic Scientist"),
        (30, CIVILIAN, "Crime Scene Technician"),
        (20, CIVILIAN, "Evidence Technician"),
        (15, CIVILIAN, "Latent Print Examiner"),
    ),
    "analysts": (
        (70, CIVILIAN, "Crime Analyst"),
        (20, SWORN, "Detective"),
        (10, CIVILIAN, "Intelligence Analyst"),
    ),
    "dispatch": (
        (58, CIVILIAN, "Dispatcher"),
        (30, CIVILIAN, "Call Taker"),
        (12, CIVILIAN, "Senior Dispatcher"),
    ),
    "records": (
        (65, CIVILIAN, "Records Specialist"),
        (20, CIVILIAN, "Senior Records Specialist"),
        (15, CIVILIAN, "Data Entry Clerk"),
    ),
    "training": (
        (50, SWORN, "Training Officer"),
        (30, SWORN, "Police Recruit"),
        (20, CIVILIAN, "Training Coordinator"),
    ),
    "personnel": (
        (45, CIVILIAN, "Human Resources Specialist"),
        (30, CIVILIAN, "Payroll Specialist"),
        (15, SWORN, "Background Investigator"),
        (10, CIVILIAN, "Administrative Assistant"),
    ),
    "wellness": (
        (45, CIVILIAN, "Licensed Clinical Social Worker"),
        (30, CIVILIAN, "Staff Psychologist"),
        (25, CIVILIAN, "Program Assistant"),
    ),
    "technology": (
        (55, CIVILIAN, "IT Specialist"),
        (25, CIVILIAN, "Systems Analyst"),
        (20, CIVILIAN, "Radio Technician"),
    ),
    "fiscal": ((60, CIVILIAN, "Budget Analyst"), (40, CIVILIAN, "Purchasing Agent")),
    "facilities": (
        (55, CIVILIAN, "Fleet Technician"),
        (35, CIVILIAN, "Facilities Technician"),
        (10, CIVILIAN, "Custodian"),
    ),
    "jail": (
        (78, CORRECTIONS, "Corrections Officer"),
        (12, CORRECTIONS, "Senior Corrections Officer"),
        (6, CIVILIAN, "Inmate Records Clerk"),
        (4, CIVILIAN, "Detention Nurse"),
    ),
    "jail_health": (
        (60, CIVILIAN, "Detention Nurse"),
        (25, CIVILIAN, "Mental Health Counselor"),
        (15, CORRECTIONS, "Corrections Officer"),
    ),
    "jail_programs": (
        (50, CIVILIAN, "Classification Specialist"),
        (30, CIVILIAN, "Reentry Case Manager"),
        (20, CORRECTIONS, "Corrections Officer"),
    ),
    "court": ((80, CORRECTIONS, "Corrections Officer"), (20, SWORN, "Police Officer")),
}


@dataclass(frozen=True)
class SectionSpec:
    """A precinct or section and the units it is divided into.

    ``labels`` are the unit names with their shift; a bigger section repeats them with numbers
    ("Homicide Squad 1", "Homicide Squad 2"). ``since`` is the smallest department that has the
    section, so a 300-person department has no bomb squad.
    """

    name: str
    staff: str
    labels: tuple[tuple[str, str], ...]
    weight: float
    since: int = 0
    track: str | None = None  # sworn/civilian/corrections; default: the division's
    head: str = ""  # the section head's title; default from LADDER
    lead: str = ""  # the unit supervisors' title; default from LADDER
    fixed: bool = False  # exactly these units, whatever the size of the department
    prefix: bool = False  # unit names start with the section's name
    kind: str = "section"  # "precinct" or "section": which LADDER title its head gets
    min_units: int = 1


@dataclass(frozen=True)
class DivisionSpec:
    name: str
    track: str
    sections: tuple[SectionSpec, ...]
    head: str = ""


def _labels(*names: str, shift: str = DAY) -> tuple[tuple[str, str], ...]:
    return tuple((name, shift) for name in names)


WATCHES = (("Day Watch", DAY), ("Evening Watch", EVENING), ("Night Watch", NIGHT))
# The patrol precincts are generated to fit the department (see _patrol_divisions); their
# divisions take these names in turn.
PATROL_DIVISION_NAMES = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Northeast",
    "Southwest",
    "Northwest",
    "Southeast",
    "Downtown",
)
PATROL_WEIGHT = 40.0  # percent of the department in precincts
BHS_DIVISION = "Behavioral Health Services Division"

SPECIAL_OPERATIONS = DivisionSpec(
    "Special Operations Division",
    SWORN,
    (
        SectionSpec(
            "Traffic Section",
            "specialist",
            _labels("Motorcycle Unit", "Traffic Investigations Unit", "DUI Enforcement Unit"),
            3.0,
        ),
        SectionSpec(
            "Tactical Section",
            "specialist",
            _labels("SWAT Team", "K-9 Unit", "Bomb Squad", shift=ROTATING),
            2.0,
            since=1_000,
        ),
        SectionSpec(
            "Parking Enforcement Section",
            "parking",
            _labels("Parking Enforcement Unit"),
            1.5,
            since=2_000,
            track=CIVILIAN,
            lead="Parking Supervisor",
        ),
        SectionSpec(
            "Airport and Transit Section",
            "specialist",
            _labels("Airport Unit", "Transit Unit", shift=ROTATING),
            2.0,
            since=5_000,
        ),
        SectionSpec(
            "Mounted and Harbor Section",
            "specialist",
            _labels("Mounted Unit", "Harbor Unit"),
            1.0,
            since=10_000,
        ),
    ),
)

OTHER_BUREAUS: dict[str, tuple[DivisionSpec, ...]] = {
    "Investigations Bureau": (
        DivisionSpec(
            "Criminal Investigations Division",
            SWORN,
            (
                SectionSpec("Homicide Section", "detectives", _labels("Homicide Squad"), 1.5),
                SectionSpec("Robbery Section", "detectives", _labels("Robbery Squad"), 1.2),
                SectionSpec(
                    "Property Crimes Section",
                    "detectives",
                    _labels("Burglary Unit", "Auto Theft Unit", "Financial Crimes Unit"),
                    2.5,
                ),
                SectionSpec(
                    "Cold Case Section", "detectives", _labels("Cold Case Unit"), 0.4, since=10_000
                ),
            ),
        ),
        DivisionSpec(
            "Special Victims Division",
            SWORN,
            (
                SectionSpec(
                    "Family Violence Section",
                    "detectives",
                    _labels(
                        "Domestic Violence Unit", "Crimes Against Children Unit", "Elder Abuse Unit"
                    ),
                    1.5,
                ),
                SectionSpec(
                    "Sex Crimes Section", "detectives", _labels("Sex Crimes Unit"), 1.0, since=1_000
                ),
                SectionSpec(
                    "Missing Persons Section",
                    "detectives",
                    _labels("Missing Persons Unit"),
                    0.5,
                    since=5_000,
                ),
            ),
        ),
        DivisionSpec(
            "Narcotics and Vice Division",
            SWORN,
            (
                SectionSpec(
                    "Narcotics Section",
                    "detectives",
                    _labels("Narcotics Squad", shift=EVENING),
                    1.5,
                    since=1_000,
                ),
                SectionSpec(
                    "Vice and Gangs Section",
                    "detectives",
                    _labels("Vice Unit", "Gang Enforcement Unit", shift=EVENING),
                    1.2,
                    since=2_000,
                ),
            ),
        ),
        DivisionSpec(
            "Forensic Services Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Crime Scene and Evidence Section",
                    "forensics",
                    _labels("Crime Scene Unit", "Evidence and Property Unit", "Latent Prints Unit"),
                    1.5,
                    lead="Forensic Supervisor",
                ),
                SectionSpec(
                    "Crime Laboratory Section",
                    "forensics",
                    _labels("Chemistry Unit", "DNA Unit", "Firearms Examination Unit"),
                    1.0,
                    since=2_000,
                    lead="Laboratory Supervisor",
                ),
            ),
            head="Forensic Services Manager",
        ),
        DivisionSpec(
            "Intelligence Division",
            SWORN,
            (
                SectionSpec(
                    "Crime Analysis Section",
                    "analysts",
                    _labels("Crime Analysis Unit", "Real Time Crime Center"),
                    0.8,
                    since=2_000,
                    track=CIVILIAN,
                    lead="Crime Analysis Supervisor",
                ),
            ),
        ),
    ),
    "Support Services Bureau": (
        DivisionSpec(
            "Communications Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Emergency Communications Section",
                    "dispatch",
                    (
                        ("Dispatch Day Shift", DAY),
                        ("Dispatch Evening Shift", EVENING),
                        ("Dispatch Night Shift", NIGHT),
                    ),
                    6.0,
                    lead="Dispatch Supervisor",
                    min_units=3,
                ),
            ),
            head="Communications Manager",
        ),
        DivisionSpec(
            "Records Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Records Section",
                    "records",
                    (("Records Day Shift", DAY), ("Records Night Shift", NIGHT)),
                    2.5,
                    lead="Records Supervisor",
                ),
                SectionSpec(
                    "Warrants and Public Records Section",
                    "records",
                    _labels("Warrants Unit", "Public Records Unit"),
                    0.8,
                    since=2_000,
                    lead="Records Supervisor",
                ),
            ),
            head="Records Manager",
        ),
        DivisionSpec(
            "Training Division",
            SWORN,
            (
                SectionSpec(
                    "Police Academy",
                    "training",
                    _labels("Recruit Training Unit", "Firearms Range"),
                    1.2,
                ),
                SectionSpec(
                    "In-Service Training Section",
                    "training",
                    _labels("In-Service Training Unit"),
                    0.6,
                    since=5_000,
                ),
            ),
        ),
        DivisionSpec(
            "Personnel Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Human Resources Section",
                    "personnel",
                    _labels("Human Resources Unit", "Payroll Unit", "Recruiting and Hiring Unit"),
                    1.5,
                    since=1_000,
                ),
            ),
            head="Human Resources Manager",
        ),
        DivisionSpec(
            BHS_DIVISION,
            CIVILIAN,
            (
                SectionSpec(
                    "Employee Wellness Section",
                    "wellness",
                    _labels(
                        "Peer Support Program",
                        "Professional Advocacy Unit",
                        "Employee Assistance Program",
                    ),
                    0.5,
                    fixed=True,
                    head="Employee Wellness Manager",
                    lead="Clinical Supervisor",
                ),
            ),
            head="Behavioral Health Services Manager",
        ),
        DivisionSpec(
            "Technology Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Information Technology Section",
                    "technology",
                    _labels("IT Operations Unit", "Radio Shop", "Systems Development Unit"),
                    1.0,
                    since=1_000,
                    lead="IT Supervisor",
                ),
            ),
            head="Chief Information Officer",
        ),
        DivisionSpec(
            "Fiscal and Facilities Division",
            CIVILIAN,
            (
                SectionSpec(
                    "Fiscal Section",
                    "fiscal",
                    _labels("Budget Unit", "Purchasing Unit"),
                    0.6,
                    since=5_000,
                ),
                SectionSpec(
                    "Fleet and Facilities Section",
                    "facilities",
                    _labels("Fleet Services Unit", "Facilities Maintenance Unit"),
                    1.0,
                    since=2_000,
                ),
            ),
            head="Fiscal and Facilities Manager",
        ),
    ),
    "Corrections Bureau": (
        DivisionSpec(
            "Detention Services Division",
            CORRECTIONS,
            (
                SectionSpec(
                    "Central Jail",
                    "jail",
                    (
                        ("Intake and Booking", ROTATING),
                        ("Housing Unit A", ROTATING),
                        ("Housing Unit B", ROTATING),
                        ("Housing Unit C", ROTATING),
                        ("Housing Unit D", ROTATING),
                    ),
                    8.0,
                    prefix=True,
                    kind="precinct",
                    min_units=2,
                ),
                SectionSpec(
                    "North Detention Facility",
                    "jail",
                    (
                        ("Intake and Booking", ROTATING),
                        ("Housing Unit A", ROTATING),
                        ("Housing Unit B", ROTATING),
                    ),
                    5.0,
                    since=5_000,
                    prefix=True,
                    kind="precinct",
                ),
                SectionSpec(
                    "Women's Detention Center",
                    "jail",
                    (("Housing Unit A", ROTATING), ("Housing Unit B", ROTATING)),
                    2.5,
                    since=10_000,
                    prefix=True,
                    kind="precinct",
                ),
            ),
        ),
        DivisionSpec(
            "Inmate Services Division",
            CORRECTIONS,
            (
                SectionSpec(
                    "Jail Health Services Section",
                    "jail_health",
                    _labels("Medical Unit", "Mental Health Unit", shift=ROTATING),
                    1.0,
                    since=1_000,
                    track=CIVILIAN,
                    lead="Nursing Supervisor",
                ),
                SectionSpec(
                    "Inmate Programs Section",
                    "jail_programs",
                    _labels("Classification Unit", "Education and Reentry Unit"),
                    0.8,
                    since=2_000,
                ),
            ),
        ),
        DivisionSpec(
            "Court and Transport Division",
            CORRECTIONS,
            (
                SectionSpec(
                    "Court Security Section", "court", _labels("Courthouse Security Unit"), 2.0
                ),
                SectionSpec(
                    "Prisoner Transport Section",
                    "court",
                    _labels("Transport Unit", shift=ROTATING),
                    1.0,
                    since=2_000,
                ),
            ),
        ),
    ),
}
BUREAU_ORDER = ("Patrol Bureau", *OTHER_BUREAUS)


# --- Names and languages --------------------------------------------------------------------

# (code, name) of every language the demo uses; English is spoken by everyone.
LANGUAGES = (
    ("en", "English"),
    ("es", "Spanish"),
    ("vi", "Vietnamese"),
    ("cmn", "Mandarin"),
    ("yue", "Cantonese"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("ase", "American Sign Language"),
    ("fr", "French"),
    ("ko", "Korean"),
    ("so", "Somali"),
    ("ht", "Haitian Creole"),
    ("ru", "Russian"),
)


@dataclass(frozen=True)
class NameGroup:
    weight: int
    first: tuple[str, ...]
    last: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]  # (code, chance of speaking it)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


NAME_GROUPS = (
    NameGroup(
        50,
        _names(
            "James, Michael, Robert, David, William, Richard, Thomas, Daniel, Matthew, Anthony, "
            "Kevin, Brian, Jason, Ryan, Tyrone, Marcus, Mary, Jennifer, Elizabeth, Sarah, "
            "Jessica, Karen, Lisa, Ashley, Katherine, Megan, Rachel, Keisha, Tamika, Emily, "
            "Laura, Amanda"
        ),
        _names(
            "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, "
            "Thomas, Moore, Jackson, Martin, Thompson, White, Harris, Clark, Lewis, Robinson, "
            "Walker, Young, Allen, King, Wright, Scott, Green, Baker, Adams, Nelson, Hill, "
            "Campbell, Mitchell, Roberts, Carter, Phillips, Evans, Turner, Parker, Collins, "
            "Edwards, Stewart, Morris, Murphy, Cook, Rogers, Reed, Bailey, Bell, Cooper, "
            "Richardson, Cox, Howard, Ward, Peterson, Gray, Brooks, Kelly, Sanders, Price, "
            "Bennett, Wood, Barnes, Ross, Henderson, Coleman, Jenkins, Perry, Powell, Long, "
            "Patterson, Hughes, Washington, Butler, Simmons, Foster, Bryant, Russell, Griffin, "
            "Hayes, Myers, Ford, Hamilton, Graham, Sullivan, Wallace, Woods, West, Jordan, "
            "Reynolds, Marshall, Owens, O'Brien, Fischer"
        ),
        (("es", 0.06), ("fr", 0.02), ("ase", 0.012)),
    ),
    NameGroup(
        22,
        _names(
            "Jose, Luis, Carlos, Juan, Miguel, Jorge, Alejandro, Ricardo, Eduardo, Javier, "
            "Maria, Guadalupe, Ana, Rosa, Veronica, Claudia, Adriana, Gabriela, Patricia, "
            "Daniela, Sofia, Lucia"
        ),
        _names(
            "Garcia, Rodriguez, Martinez, Hernandez, Lopez, Gonzalez, Perez, Sanchez, Ramirez, "
            "Torres, Flores, Rivera, Gomez, Diaz, Reyes, Morales, Cruz, Ortiz, Gutierrez, "
            "Chavez, Ramos, Ruiz, Alvarez, Mendoza, Castillo, Jimenez, Moreno, Romero, Herrera, "
            "Medina, Aguilar, Vargas, Castro, Guzman, Salazar, Delgado"
        ),
        (("es", 0.68), ("ase", 0.01)),
    ),
    NameGroup(
        4,
        _names("Minh, Tuan, Hung, Long, Quang, Linh, Mai, Lan, Thao, Huong, Anh"),
        _names("Nguyen, Tran, Le, Pham, Hoang, Vu, Vo, Dang, Bui, Do, Ngo"),
        (("vi", 0.62),),
    ),
    NameGroup(
        4,
        _names("Wei, Jian, Hao, Ming, Jun, Li, Mei, Xiu, Ying, Lei, Fang"),
        _names("Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Lin"),
        (("cmn", 0.55), ("yue", 0.2)),
    ),
    NameGroup(
        4,
        _names("Jose, Mark, Rommel, Arnel, Jerome, Maricel, Jocelyn, Rowena, Cristina"),
        _names("Santos, Reyes, Cruz, Bautista, Ocampo, Mendoza, Villanueva, Dela Cruz"),
        (("tl", 0.58),),
    ),
    NameGroup(
        3,
        _names("Omar, Ahmed, Khalid, Youssef, Tariq, Layla, Fatima, Amira, Nadia, Rania"),
        _names("Haddad, Khoury, Saleh, Nasser, Hassan, Aziz, Mansour, Farah, Karam"),
        (("ar", 0.62), ("fr", 0.15)),
    ),
    NameGroup(
        3,
        _names("Min-jun, Ji-hoon, Sung, Hyun, Jin, Soo-jin, Eun-ji, Hye-jin, Yuna"),
        _names("Kim, Lee, Park, Choi, Jung, Kang, Cho, Yoon, Han"),
        (("ko", 0.55),),
    ),
    NameGroup(
        2,
        _names("Abdi, Mohamed, Abdullahi, Hassan, Faisal, Hodan, Amina, Fadumo, Sahra"),
        _names("Ali, Warsame, Abdi, Farah, Jama, Osman, Hussein, Yusuf"),
        (("so", 0.6), ("ar", 0.25)),
    ),
    NameGroup(
        2,
        _names("Jean, Pierre, Emmanuel, Ricardo, Widlene, Nadege, Fabienne, Marie"),
        _names("Pierre, Jean-Baptiste, Joseph, Louis, Charles, Desir, Toussaint, Michel"),
        (("ht", 0.68), ("fr", 0.5)),
    ),
    NameGroup(
        2,
        _names("Dmitri, Sergei, Alexei, Ivan, Natalia, Olga, Irina, Svetlana, Anya"),
        _names("Ivanov, Petrov, Smirnov, Volkov, Sokolov, Kuznetsov, Pavlenko, Kovalenko"),
        (("ru", 0.55),),
    ),
)
NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Rick",
    "Michael": "Mike",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "Anthony": "Tony",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Jennifer": "Jen",
    "Alejandro": "Alex",
    "Guadalupe": "Lupe",
    "Patricia": "Patty",
}


# --- The plan -------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedUnit:
    name: str
    kind: str
    parent: int | None  # index into Plan.units
    bureau: int  # index of its bureau (the department itself: -1)
    track: str
    lead_title: str  # the title of this unit's supervisor
    shift: str = NO_SHIFT
    staff: str = ""
    weight: float = 0.0
    supervisor: int = -1  # index into Plan.employees


@dataclass(slots=True)
class PlannedEmployee:
    number: str
    first_name: str
    last_name: str
    preferred_name: str
    work_email: str
    employee_type: str
    rank_title: str
    unit: int
    shift: str
    status: str
    languages: tuple[str, ...]
    group: int  # NAME_GROUPS index, so relatives get names of the same origin


@dataclass(slots=True)
class PlannedAccount:
    email: str
    display_name: str
    employee: int | None  # index into Plan.employees; None for the system administrator
    roles: tuple[Role, ...] = ()  # granted roles


@dataclass
class Plan:
    employees_wanted: int
    seed: int
    units: list[PlannedUnit] = field(default_factory=list)
    employees: list[PlannedEmployee] = field(default_factory=list)
    family: list[tuple[int, str, str]] = field(default_factory=list)  # (employee, rel., name)
    accounts: list[PlannedAccount] = field(default_factory=list)

    def needs_mfa(self, account: PlannedAccount, supervisors: frozenset[int]) -> bool:
        """Everyone beyond plain employee: a granted role, or supervising a unit."""
        if set(account.roles) - MFA_EXEMPT_ROLES:
            return True
        return account.employee in supervisors

    def supervisors(self) -> frozenset[int]:
        return frozenset(u.supervisor for u in self.units)


def _target_unit_size(employees: int) -> float:
    # Bigger departments have bigger units: a few hundred units for 20,000 people rather
    # than two thousand squads, which would make the unit list unusable.
    return max(8.0, 20.0 * math.sqrt(employees / DEFAULT_EMPLOYEES))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _patrol_divisions(employees: int, share: float) -> tuple[DivisionSpec, ...]:
    """Precincts sized to the department, grouped four to a division."""
    patrol = employees * share
    precinct_size = 110.0 * math.sqrt(employees / DEFAULT_EMPLOYEES)
    precincts = min(36, max(2, round(patrol / precinct_size)))
    per = PATROL_WEIGHT / precincts
    specs = [
        SectionSpec(
            f"{_ordinal(i + 1)} Precinct",
            "patrol",
            WATCHES,
            per,
            prefix=True,
            kind="precinct",
            min_units=3,
        )
        for i in range(precincts)
    ]
    return tuple(
        DivisionSpec(f"{name} Patrol Division", SWORN, tuple(specs[4 * g : 4 * g + 4]))
        for g, name in enumerate(PATROL_DIVISION_NAMES[: math.ceil(precincts / 4)])
    )


def _section_units(section: SectionSpec, headcount: float, target: float) -> list[tuple[str, str]]:
    if section.fixed:
        return list(section.labels)
    count = max(section.min_units, round(headcount / target))
    rounds = math.ceil(count / len(section.labels))
    units = []
    for i in range(count):
        label, shift = section.labels[i % len(section.labels)]
        name = label if rounds == 1 else f"{label} {i // len(section.labels) + 1}"
        units.append((f"{section.name} {name}" if section.prefix else name, shift))
    return units


def _build_units(plan: Plan) -> None:
    n = plan.employees_wanted
    other = {
        bureau: tuple(
            DivisionSpec(d.name, d.track, tuple(s for s in d.sections if s.since <= n), head=d.head)
            for d in divisions
        )
        for bureau, divisions in OTHER_BUREAUS.items()
    }
    special = DivisionSpec(
        SPECIAL_OPERATIONS.name,
        SWORN,
        tuple(s for s in SPECIAL_OPERATIONS.sections if s.since <= n),
    )
    other_weight = sum(s.weight for ds in other.values() for d in ds for s in d.sections)
    total_weight = PATROL_WEIGHT + sum(s.weight for s in special.sections) + other_weight
    bureaus = {
        "Patrol Bureau": (*_patrol_divisions(n, PATROL_WEIGHT / total_weight), special),
        **other,
    }
    target = _target_unit_size(n)

    units = plan.units
    units.append(
        PlannedUnit(
            settings.DEPARTMENT_NAME[:120], Unit.Kind.DEPARTMENT, None, -1, SWORN, "Chief of Police"
        )
    )
    for bureau_name in BUREAU_ORDER:
        b = len(units)
        units.append(PlannedUnit(bureau_name, Unit.Kind.BUREAU, 0, b, SWORN, "Deputy Chief"))
        for division in bureaus[bureau_name]:
            if not division.sections:
                continue
            d = len(units)
            head = division.head or LADDER[division.track]["division"]
            units.append(PlannedUnit(division.name, Unit.Kind.DIVISION, b, b, division.track, head))
            for section in division.sections:
                track = section.track or division.track
                s = len(units)
                units.append(
                    PlannedUnit(
                        section.name,
                        Unit.Kind.PRECINCT,
                        d,
                        b,
                        track,
                        section.head or LADDER[track][section.kind],
                        shift=DAY,
                    )
                )
                headcount = n * section.weight / total_weight
                leaves = _section_units(section, headcount, target)
                lead = section.lead or LADDER[track]["unit"]
                for name, shift in leaves:
                    units.append(
                        PlannedUnit(
                            name,
                            Unit.Kind.UNIT,
                            s,
                            b,
                            track,
                            lead,
                            shift=shift,
                            staff=section.staff,
                            weight=section.weight / len(leaves),
                        )
                    )


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """At least one each, the rest in proportion to the weights (largest remainder)."""
    counts = [1] * len(weights)
    rest = total - len(weights)
    whole = sum(weights)
    shares = [rest * w / whole for w in weights]
    for i, share in enumerate(shares):
        counts[i] += int(share)
    left = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] % 1), i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


class _People:
    """Draws names, languages and statuses from the plan's random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.group_weights = [g.weight for g in NAME_GROUPS]

    def person(self) -> tuple[int, str, str, str, tuple[str, ...]]:
        rng = self.rng
        g = rng.choices(range(len(NAME_GROUPS)), weights=self.group_weights)[0]
        group = NAME_GROUPS[g]
        first, last = rng.choice(group.first), rng.choice(group.last)
        nickname = NICKNAMES.get(first, "")
        preferred = nickname if nickname and rng.random() < 0.4 else ""
        languages = ["en"] + [code for code, chance in group.languages if rng.random() < chance]
        return g, first, last, preferred, tuple(languages)

    def status(self) -> str:
        r = self.rng.random()
        if r < 0.93:
            return Employee.Status.ACTIVE
        if r < 0.985:
            return Employee.Status.ON_LEAVE
        if r < 0.995:
            return Employee.Status.RETIRED
        return Employee.Status.SEPARATED


def _email_local(first: str, last: str, number: int) -> str:
    clean = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return f"{clean}.{number}"


def _add_employee(
    plan: Plan,
    people: _People,
    *,
    unit: int,
    employee_type: str,
    title: str,
    shift: str,
    status: str | None = None,
) -> int:
    g, first, last, preferred, languages = people.person()
    i = len(plan.employees)
    plan.employees.append(
        PlannedEmployee(
            number=f"{EMPLOYEE_NUMBER_PREFIX}{i + 1:06d}",
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            work_email=f"{_email_local(first, last, i + 1)}@{EMAIL_DOMAIN}",
            employee_type=employee_type,
            rank_title=title,
            unit=unit,
            shift=shift,
            status=status or people.status(),
            languages=languages,
            group=g,
        )
    )
    return i


def _build_people(plan: Plan, people: _People) -> None:
    rng = people.rng
    units = plan.units
    # One supervisor per unit, who works in it, always active (an inactive supervisor would
    # leave a gap in everybody's chain of command).
    for u, unit in enumerate(units):
        shift = (
            unit.shift
            if unit.kind == Unit.Kind.UNIT
            else (DAY if unit.kind == Unit.Kind.PRECINCT else NO_SHIFT)
        )
        unit.supervisor = _add_employee(
            plan,
            people,
            unit=u,
            employee_type=unit.track,
            title=unit.lead_title,
            shift=shift,
            status=Employee.Status.ACTIVE,
        )
    leaves = [u for u, unit in enumerate(units) if unit.kind == Unit.Kind.UNIT]
    members = plan.employees_wanted - len(units)
    if members < len(leaves) + len(PERSONAS):
        raise ValueError(
            f"{plan.employees_wanted} employees are too few for the unit tree; "
            f"use at least {len(units) + len(leaves) + len(PERSONAS)}."
        )
    counts = _allocate(members, [units[u].weight for u in leaves])
    other_shifts = (DAY, EVENING, NIGHT, ROTATING)
    for u, count in zip(leaves, counts, strict=True):
        unit = units[u]
        staff = STAFF[unit.staff]
        weights = [w for w, _, _ in staff]
        for _ in range(count):
            _, employee_type, title = rng.choices(staff, weights=weights)[0]
            shift = unit.shift if rng.random() < 0.9 else rng.choice(other_shifts)
            _add_employee(
                plan, people, unit=u, employee_type=employee_type, title=title, shift=shift
            )


def _build_family(plan: Plan, people: _People) -> None:
    rng = people.rng
    for i, employee in enumerate(plan.employees):
        if rng.random() >= 0.2:
            continue
        group = NAME_GROUPS[employee.group]
        relatives = []
        if rng.random() < 0.7:
            relatives.append((FamilyMember.Relationship.SPOUSE, 0.65))
        relatives += [(FamilyMember.Relationship.CHILD, 0.95)] * rng.choice((0, 0, 1, 1, 2))
        if rng.random() < 0.1:
            relatives.append((FamilyMember.Relationship.PARENT, 0.6))
        if not relatives:
            relatives.append((FamilyMember.Relationship.SIBLING, 0.8))
        for relationship, same_name in relatives:
            last = employee.last_name if rng.random() < same_name else rng.choice(group.last)
            plan.family.append((i, relationship, f"{rng.choice(group.first)} {last}"))


def _first_member(plan: Plan, unit: int) -> int:
    supervisor = plan.units[unit].supervisor
    return next(i for i, e in enumerate(plan.employees) if e.unit == unit and i != supervisor)


def _unit_index(plan: Plan, name: str, *, kind: str | None = None) -> int:
    return next(
        u for u, unit in enumerate(plan.units) if unit.name == name and kind in (None, unit.kind)
    )


def _first_leaf(plan: Plan, section: str) -> int:
    s = _unit_index(plan, section, kind=Unit.Kind.PRECINCT)
    return next(u for u, unit in enumerate(plan.units) if unit.parent == s)


def _place_personas(plan: Plan) -> dict[str, int | None]:
    """Which generated employee each persona is: the Chief heads the department, the supervisor
    persona leads the first patrol squad and the employee persona works in it, so the employee's
    chain of command runs through the supervisor persona up to the Chief."""
    units = plan.units
    precincts = [
        u
        for u, unit in enumerate(units)
        if unit.kind == Unit.Kind.PRECINCT and unit.name.endswith("Precinct")
    ]
    squads = [u for u, unit in enumerate(units) if unit.parent in precincts]
    first_squad = squads[0]
    # Another precinct's evening watch: someone the employee persona may pick from outside
    # their own chain of command.
    second_precinct_squads = [u for u in squads if units[u].parent == precincts[1]]
    supporter_squad = next(
        (u for u in second_precinct_squads if units[u].shift == EVENING), second_precinct_squads[0]
    )
    bhs = _unit_index(plan, BHS_DIVISION)
    places = {
        "chief": (units[0].supervisor, "Chief of Police", SWORN),
        "bhs_manager": (units[bhs].supervisor, "Behavioral Health Services Manager", CIVILIAN),
        "advocacy_supervisor": (
            units[_unit_index(plan, "Professional Advocacy Unit")].supervisor,
            "Advocacy Supervisor",
            CIVILIAN,
        ),
        "supervisor": (units[first_squad].supervisor, "Sergeant", SWORN),
        "employee": (_first_member(plan, first_squad), "Police Officer", SWORN),
        "supporter": (_first_member(plan, supporter_squad), "Senior Police Officer", SWORN),
        "coordinator": (
            _first_member(plan, _unit_index(plan, "Peer Support Program")),
            "Peer Support Program Coordinator",
            CIVILIAN,
        ),
        "panelist": (
            _first_member(plan, _first_leaf(plan, "Homicide Section")),
            "Detective",
            SWORN,
        ),
        "committee_member": (
            _first_member(plan, _first_leaf(plan, "Records Section")),
            "Senior Records Specialist",
            CIVILIAN,
        ),
    }
    placed: dict[str, int | None] = {"sysadmin": None}
    for key, (i, title, employee_type) in places.items():
        employee = plan.employees[i]
        employee.rank_title, employee.employee_type = title, employee_type
        employee.status = Employee.Status.ACTIVE
        if key in ("employee", "supervisor", "supporter"):
            employee.shift = plan.units[employee.unit].shift
        if key == "supporter" and "es" not in employee.languages:
            employee.languages = (*employee.languages, "es")
        placed[key] = i
    return placed


def _pick_supporters(plan: Plan, rng: random.Random, *, count: int, exclude: set[int]) -> list[int]:
    """Peer supporters from every bureau, in proportion to its size, chosen to cover as many
    shifts, languages and kinds of employee as possible (a requester may want any of them)."""
    units = plan.units
    top = {
        u
        for u, unit in enumerate(units)
        if unit.kind in (Unit.Kind.DEPARTMENT, Unit.Kind.BUREAU, Unit.Kind.DIVISION)
    }
    bhs = _unit_index(plan, BHS_DIVISION)
    excluded_units = {bhs} | {u for u, unit in enumerate(units) if unit.parent == bhs}
    excluded_units |= {u for u, unit in enumerate(units) if unit.parent in excluded_units}
    excluded = exclude | {units[u].supervisor for u in top}
    bureaus = [u for u, unit in enumerate(units) if unit.kind == Unit.Kind.BUREAU]
    pools: dict[int, list[int]] = {b: [] for b in bureaus}
    for i, e in enumerate(plan.employees):
        if (
            i not in excluded
            and e.status == Employee.Status.ACTIVE
            and e.unit not in excluded_units
        ):
            pools[units[e.unit].bureau].append(i)
    quotas = _allocate(count, [len(pools[b]) or 1 for b in bureaus])
    # A sample keeps the greedy choice cheap in a 200,000-person department.
    candidates = {b: rng.sample(pools[b], min(len(pools[b]), 400)) for b in bureaus}
    chosen: list[int] = []
    languages: set[str] = set()
    shifts: set[str] = set()
    types: set[str] = set()

    def score(i: int) -> int:
        e = plan.employees[i]
        return (
            3 * len(set(e.languages) - languages)
            + 2 * (e.shift not in shifts)
            + 2 * (e.employee_type not in types)
        )

    # Bureaus take turns, so the languages and shifts are spread over all of them.
    for turn in range(max(quotas)):
        for b, quota in zip(bureaus, quotas, strict=True):
            if turn >= quota or not candidates[b]:
                continue
            best = max(candidates[b], key=score)  # max() keeps the first of equals: seeded
            candidates[b].remove(best)
            chosen.append(best)
            e = plan.employees[best]
            languages.update(e.languages)
            shifts.add(e.shift)
            types.add(e.employee_type)
    return chosen


def default_supporters(employees: int) -> int:
    """40 supporters, as in a department of a few thousand; fewer in a tiny demo department."""
    return min(40, max(4, employees // 20))


def demo_department_plan(
    *, employees: int = DEFAULT_EMPLOYEES, seed: int = DEFAULT_SEED, supporters: int | None = None
) -> Plan:
    """Decide the whole department from the seed. Touches no database."""
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise ValueError(
            f"The demo department has between {MIN_EMPLOYEES:,} and {MAX_EMPLOYEES:,} employees."
        )
    supporters = default_supporters(employees) if supporters is None else supporters
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not a secret)
    people = _People(rng)
    plan = Plan(employees_wanted=employees, seed=seed)
    _build_units(plan)
    _build_people(plan, people)
    placed = _place_personas(plan)

    persona_employees = {i for i in placed.values() if i is not None}
    supporter_persona = placed["supporter"]
    chosen = [supporter_persona] + _pick_supporters(
        plan,
        rng,
        count=supporters - 1,
        exclude=persona_employees,
    )

    for persona in PERSONAS:
        i = placed[persona.key]
        name = "System Administrator" if i is None else _full_name(plan.employees[i])
        plan.accounts.append(
            PlannedAccount(
                email=persona.email,
                display_name=name,
                employee=i,
                roles=(persona.granted,) if persona.granted else (),
            )
        )
        if i is not None:
            plan.employees[i].work_email = persona.email
    for i in chosen[1:]:
        plan.accounts.append(_account(plan, i, roles=(Role.PEER_SUPPORTER,)))
    # A few ordinary employees have signed up too, so the directory and the chain of command
    # show a mix of people with and without accounts.
    taken = persona_employees | set(chosen)
    for i, e in enumerate(plan.employees):
        if (
            i not in taken
            and e.status in (Employee.Status.ACTIVE, Employee.Status.ON_LEAVE)
            and rng.random() < ACCOUNT_SHARE
        ):
            plan.accounts.append(_account(plan, i))
    _build_family(plan, people)
    _check(plan)
    return plan


def _full_name(e: PlannedEmployee) -> str:
    return f"{e.preferred_name or e.first_name} {e.last_name}"


def _account(plan: Plan, i: int, *, roles: tuple[Role, ...] = ()) -> PlannedAccount:
    e = plan.employees[i]
    return PlannedAccount(email=e.work_email, display_name=_full_name(e), employee=i, roles=roles)


def _check(plan: Plan) -> None:
    """The rules the services enforce, checked here because bulk inserts bypass the services."""
    if len(plan.employees) != plan.employees_wanted:
        raise RuntimeError("The demo plan has the wrong number of employees.")
    for account in plan.accounts:
        # Separation of duties: the administrator may read nothing confidential.
        if Role.SYSADMIN in account.roles and set(account.roles) & CONFIDENTIAL_ROLES:
            raise RuntimeError("A demo system administrator holds a confidential role.")
    if len({a.email for a in plan.accounts}) != len(plan.accounts):
        raise RuntimeError("Two demo accounts share an e-mail address.")


# --- Loading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoResult:
    created: bool
    units: int
    employees: int
    family_members: int
    accounts: int
    supporters: int
    role_grants: int


def demo_department_exists() -> bool:
    return (
        User.objects.filter(email__in=PERSONA_EMAILS).exists()
        or Employee.objects.filter(employee_number__startswith=EMPLOYEE_NUMBER_PREFIX).exists()
    )


def _existing_result() -> DemoResult:
    employees = Employee.objects.filter(employee_number__startswith=EMPLOYEE_NUMBER_PREFIX)
    return DemoResult(
        created=False,
        units=Unit.objects.filter(members__in=employees).distinct().count(),
        employees=employees.count(),
        family_members=FamilyMember.objects.filter(employee__in=employees).count(),
        accounts=User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count(),
        supporters=RoleGrant.objects.current()
        .filter(role=Role.PEER_SUPPORTER, reason=GRANT_REASON)
        .count(),
        role_grants=RoleGrant.objects.filter(reason=GRANT_REASON).count(),
    )


def demo_department_load(
    *, employees: int = DEFAULT_EMPLOYEES, seed: int = DEFAULT_SEED, supporters: int | None = None
) -> DemoResult:
    """Load the demo department unless it is already there; then change nothing.

    One transaction, a fixed number of bulk inserts, one audit event for the whole load.
    """
    demo_refuse_in_production()
    if demo_department_exists():
        return _existing_result()
    # Planned outside the transaction, so the write lock is held only while writing.
    plan = demo_department_plan(employees=employees, seed=seed, supporters=supporters)
    try:
        with transaction.atomic():
            # Checked again under the write lock: two loads started together load once.
            if demo_department_exists():
                return _existing_result()
            return _write(plan)
    except IntegrityError:
        # On PostgreSQL a concurrent load can pass the check above; its unique e-mail
        # addresses then collide with ours, and the department is there once either way.
        if demo_department_exists():
            return _existing_result()
        raise


def _bulk(model, objs: list) -> list:
    return model.objects.bulk_create(objs, batch_size=BATCH_SIZE)


def _languages() -> dict[str, Language]:
    """The demo languages, reusing rows that already exist under the same code or name."""
    codes = [code for code, _ in LANGUAGES]
    names = [name for _, name in LANGUAGES]
    existing = list(Language.objects.filter(Q(code__in=codes) | Q(name__in=names)))
    by_code = {lang.code: lang for lang in existing}
    by_name = {lang.name: lang for lang in existing}
    result: dict[str, Language] = {}
    missing = []
    for code, name in LANGUAGES:
        lang = by_code.get(code) or by_name.get(name)
        if lang is None:
            lang = Language(code=code, name=name)
            missing.append(lang)
        result[code] = lang
    _bulk(Language, missing)
    return result


def _write(plan: Plan) -> DemoResult:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    now = timezone.now()
    languages = _languages()
    # Rows are built with plain ids (unit_id, user_id...) rather than related objects: it
    # spares Django a check per row and keeps 20,000 employees to a few seconds.

    # Units, one bulk insert per level: a child needs its parent's id.
    unit_rows = [Unit(name=planned.name, kind=planned.kind) for planned in plan.units]
    for kind in Unit.Kind.values:
        level = []
        for planned, row in zip(plan.units, unit_rows, strict=True):
            if planned.kind == kind:
                row.parent_id = None if planned.parent is None else unit_rows[planned.parent].pk
                level.append(row)
        _bulk(Unit, level)

    # One hash for every account: hashing 2,000 Argon2 passwords would take minutes.
    password = make_password(settings.DEMO_PASSWORD)
    user_rows = [
        User(email=a.email.lower(), display_name=a.display_name, password=password, date_joined=now)
        for a in plan.accounts
    ]
    _bulk(User, user_rows)
    user_id_of = {a.employee: u.pk for a, u in zip(plan.accounts, user_rows, strict=True)}

    employee_rows = [
        Employee(
            user_id=user_id_of.get(i),
            employee_number=e.number,
            first_name=e.first_name,
            last_name=e.last_name,
            preferred_name=e.preferred_name,
            work_email=e.work_email.lower(),
            employee_type=e.employee_type,
            rank_title=e.rank_title,
            unit_id=unit_rows[e.unit].pk,
            shift=e.shift,
            status=e.status,
        )
        for i, e in enumerate(plan.employees)
    ]
    _bulk(Employee, employee_rows)
    Speaks = Employee.languages.through
    _bulk(
        Speaks,
        [
            Speaks(employee_id=row.pk, language_id=languages[code].pk)
            for row, e in zip(employee_rows, plan.employees, strict=True)
            for code in e.languages
        ],
    )
    for planned, row in zip(plan.units, unit_rows, strict=True):
        row.supervisor_id = employee_rows[planned.supervisor].pk
    Unit.objects.bulk_update(unit_rows, ["supervisor"], batch_size=BATCH_SIZE)

    _bulk(
        FamilyMember,
        [
            FamilyMember(employee_id=employee_rows[i].pk, relationship=relationship, name=name)
            for i, relationship, name in plan.family
        ],
    )
    _bulk(
        EmailAddress,
        [EmailAddress(user_id=u.pk, email=u.email, verified=True, primary=True) for u in user_rows],
    )
    # The rows TOTP.activate() and RecoveryCodes.activate() would save one at a time.
    secret = encrypt(settings.DEMO_TOTP_SECRET)
    authenticators = []
    supervisors = plan.supervisors()
    for account, user in zip(plan.accounts, user_rows, strict=True):
        if plan.needs_mfa(account, supervisors):
            authenticators += [
                Authenticator(
                    user_id=user.pk,
                    type=Authenticator.Type.TOTP,
                    data={"secret": secret},
                    created_at=now,
                ),
                Authenticator(
                    user_id=user.pk,
                    type=Authenticator.Type.RECOVERY_CODES,
                    data={"seed": encrypt(RecoveryCodes.generate_seed()), "used_mask": 0},
                    created_at=now,
                ),
            ]
    _bulk(Authenticator, authenticators)
    grants = _bulk(
        RoleGrant,
        [
            RoleGrant(
                user_id=user.pk, role=role, reason=GRANT_REASON, granted_by=None, granted_at=now
            )
            for account, user in zip(plan.accounts, user_rows, strict=True)
            for role in account.roles
        ],
    )
    result = DemoResult(
        created=True,
        units=len(unit_rows),
        employees=len(employee_rows),
        family_members=len(plan.family),
        accounts=len(user_rows),
        supporters=sum(1 for g in grants if g.role == Role.PEER_SUPPORTER),
        role_grants=len(grants),
    )
    record(
        actor=None,
        action=AuditAction.DEMO_LOADED,
        target=unit_rows[0],
        details={
            "seed": plan.seed,
            "units": result.units,
            "employees": result.employees,
            "family_members": result.family_members,
            "accounts": result.accounts,
            "role_grants": result.role_grants,
        },
    )
    return result


def persona_accounts() -> list[tuple[Persona, User | None]]:
    """Each persona with its account, if the demo department is loaded."""
    users = {u.email: u for u in User.objects.filter(email__in=PERSONA_EMAILS)}
    return [(p, users.get(p.email)) for p in PERSONAS]
