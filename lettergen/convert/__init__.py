"""PDF output: the project's only user of LibreOffice.

``import lettergen.convert`` works without LibreOffice installed; only
starting a conversion needs it.  See :class:`Converter` for one warm
office, :class:`ConverterPool` for several in parallel, :func:`merge_pdfs`
for one print file and :func:`doctor` for the environment check.
"""
from .converter import ConversionResult, Converter, StartFailures, find_soffice, find_uno_python
from .doctor import DoctorReport, FontCheck, doctor
from .merge import merge_pdfs
from .pool import ConverterPool, default_instances, require_converter

__all__ = [
    "ConversionResult", "Converter", "ConverterPool", "DoctorReport", "FontCheck", "StartFailures",
    "default_instances", "doctor", "find_soffice", "find_uno_python", "merge_pdfs", "require_converter",
]
