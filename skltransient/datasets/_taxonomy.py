"""One class taxonomy for simulated and real transients, with its mappings.

The simulator's eleven extragalactic classes and its Galactic classes are the
package's taxonomy. PLAsTiCC (Kessler et al. 2019) and ELAsTiCC codes and ZTF
Bright Transient Survey labels map onto it; where a source lumps classes together (PLAsTiCC's 42
holds every SN II), the lumped name is a parent in :data:`PARENT_CLASSES`.
"""

__all__ = [
    "BTS_CLASS_MAP",
    "CLASSES",
    "ELASTICC_CLASSES",
    "GALACTIC_CLASSES",
    "PARENT_CLASSES",
    "PLASTICC_CLASSES",
]

#: The simulator's classes, in a fixed order.
CLASSES = (
    "SN Ia", "SN Ia-91bg", "SN Iax", "SN IIP", "SN IIL", "SN IIn", "SN Ib/c",
    "SLSN-I", "TDE", "KN", "AGN",
)

#: The simulator's Galactic classes, simulated on request (``simulate(..., classes=...)``), named
#: as in :data:`PLASTICC_CLASSES` (which has no cataclysmic variables; "CV" are dwarf novae).
GALACTIC_CLASSES = ("Eclipsing binary", "RR Lyrae", "Mira", "M-dwarf flare", "Microlens", "CV")

#: Parent class of a subclass, for sources that lump them.
PARENT_CLASSES = {"SN IIP": "SN II", "SN IIL": "SN II"}

#: PLAsTiCC ``target`` / ``true_target`` codes (Kessler et al. 2019, Table 1).
PLASTICC_CLASSES = {
    90: "SN Ia", 67: "SN Ia-91bg", 52: "SN Iax", 42: "SN II", 62: "SN Ib/c", 95: "SLSN-I",
    15: "TDE", 64: "KN", 88: "AGN", 92: "RR Lyrae", 65: "M-dwarf flare", 16: "Eclipsing binary",
    53: "Mira", 6: "Microlens", 991: "Microlens (binary)", 992: "ILOT", 993: "CaRT", 994: "PISN",
    995: "Microlens (string)",
}

#: ELAsTiCC ``GENTYPE`` codes (``survey_config/elasticc_origmap.txt`` of LSSTDESC/elasticc):
#: the extragalactic models, then the Galactic ones (80 RRL, 81 Mdwarf, 82 Mdwarf-flare, 83 EB,
#: 84 dwarf-nova, 87-89 the three microlensing models, 90 Cepheid, 91 dSct), named as the
#: simulator's :data:`GALACTIC_CLASSES` where it has them (a dwarf nova is a "CV").
ELASTICC_CLASSES = {
    10: "SN Ia", 11: "SN Ia-91bg", 12: "SN Iax", 20: "SN Ib/c", 21: "SN Ib/c", 25: "SN Ib/c",
    26: "SN Ib/c", 27: "SN Ib/c", 30: "SN II", 31: "SN II", 32: "SN II", 35: "SN IIn",
    36: "SN IIn", 37: "SN II", 40: "SLSN-I", 42: "TDE", 45: "ILOT", 46: "CaRT", 50: "KN",
    51: "KN", 59: "PISN", 60: "AGN",
    80: "RR Lyrae", 81: "M dwarf", 82: "M-dwarf flare", 83: "Eclipsing binary", 84: "CV",
    87: "Microlens", 88: "Microlens", 89: "Microlens", 90: "Cepheid", 91: "Delta Scuti",
}

#: The package's classes onto the five ZTF Bright Transient Survey classes
#: used by Gupta & Muthukrishna (2025). Classes that BTS does not target
#: (KN, AGN) are absent.
BTS_CLASS_MAP = {
    "SN Ia": "SN Ia", "SN Ia-91bg": "SN Ia", "SN Iax": "SN Ia", "SN IIP": "SN II",
    "SN IIL": "SN II", "SN IIn": "SN II", "SN Ib/c": "SN Ib/c", "SLSN-I": "SLSN-I", "TDE": "TDE",
}

#: Model numbers of the PLAsTiCC SNANA simulations (``SIMGEN_MASTER_*.INPUT`` in
#: rbiswas4/GEN_PLASTICC_SIMS), for ``read_snana(..., class_map=SNANA_PLASTICC_CLASSES)``;
#: they differ from ELAsTiCC's GENTYPE (12 is SN II here, SN Iax there).
SNANA_PLASTICC_CLASSES = {
    11: "SN Ia", 2: "SN II", 12: "SN II", 14: "SN II", 3: "SN Ib/c", 13: "SN Ib/c",
    41: "SN Ia-91bg", 43: "SN Iax", 51: "KN", 60: "SLSN-I", 61: "PISN", 62: "ILOT", 63: "CaRT",
    64: "TDE", 70: "AGN", 80: "RR Lyrae", 81: "M-dwarf flare", 83: "Eclipsing binary", 84: "Mira",
    90: "Microlens", 91: "Microlens", 92: "Microlens", 93: "Microlens",
}
