"""Light-curve data: the survey simulator and readers for real data formats.

Everything here returns :class:`~skltransient.LightCurves` (fluxes in the
SNANA ``FLUXCAL`` convention, AB zero point 27.5) and knows nothing of models.
"""

from ._bts import bts_class, fetch_bts, get_data_home
from ._calibrate import calibrate_survey, survey_statistics
from ._alert_columns import ALERT_HISTORY_FIELDS, LSST_OBJECT_FIELDS, read_alert_history
from ._read import read_data
from ._readers_alerts import (read_lsst_alerts, read_ztf_alerts, read_ztf_forced_photometry,
                              ztf_fluxes)
from ._readers_plasticc import load_plasticc, read_plasticc
from ._readers_snana import read_snana
from ._redshifts import EXACT_REDSHIFTS, HostRedshifts
from ._simulate import TRIGGER_WINDOW, simulate, survey_classes
from ._surveys import SURVEYS, RubinSurvey, SurveyModel, ZTFSurvey
from ._taxonomy import (BTS_CLASS_MAP, CLASSES, ELASTICC_CLASSES, GALACTIC_CLASSES, PARENT_CLASSES,
                        PLASTICC_CLASSES, SNANA_PLASTICC_CLASSES)

__all__ = [
    "ALERT_HISTORY_FIELDS",
    "BTS_CLASS_MAP",
    "CLASSES",
    "ELASTICC_CLASSES",
    "EXACT_REDSHIFTS",
    "GALACTIC_CLASSES",
    "LSST_OBJECT_FIELDS",
    "PARENT_CLASSES",
    "PLASTICC_CLASSES",
    "SNANA_PLASTICC_CLASSES",
    "SURVEYS",
    "TRIGGER_WINDOW",
    "HostRedshifts",
    "RubinSurvey",
    "SurveyModel",
    "ZTFSurvey",
    "bts_class",
    "calibrate_survey",
    "fetch_bts",
    "get_data_home",
    "load_plasticc",
    "read_alert_history",
    "read_data",
    "read_lsst_alerts",
    "read_plasticc",
    "read_snana",
    "read_ztf_alerts",
    "read_ztf_forced_photometry",
    "simulate",
    "survey_classes",
    "survey_statistics",
    "ztf_fluxes",
]
