"""UNO side of the converter: a helper run by LibreOffice's Python, not ours.

Started by :class:`lettergen.convert.Converter` with a Python that can
``import uno`` (Debian: /usr/bin/python3 with python3-uno), so this file must
import nothing from lettergen and run on any Python 3.  It connects to one
warm ``soffice`` listening on a private pipe and serves requests, one JSON
object per line on stdin, one JSON reply per line on stdout:

    {"src": "/abs/in.docx", "dst": "/abs/out.pdf"}  ->  {"ok": true}
                          (with "pdfa": true, the PDF is PDF/A-2b, ISO 19005-2)
                                  or {"ok": false, "fatal": false|true, "error": "..."}
    {"cmd": "ping"}                                  ->  {"ok": true} if the office answers
    {"cmd": "quit"}                                  ->  office terminated, exit

The first line written is ``{"ready": true}`` once the office answers.
"fatal" means the office is gone (crashed or killed) and the bridge exits.  When
stdin closes without "quit" (our parent died), the office's process group is
killed and the given leftovers (its pipe sockets, the converter's private
work folder) are removed, so nothing is left behind.

Usage: python3 uno_bridge.py PIPE_NAME OFFICE_PGID START_TIMEOUT [LEFTOVER...]
"""
import json
import os
import shutil
import signal
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException


def _props(**values):
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _connect(pipe, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
    while True:
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    _block_external_links(ctx)
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def _block_external_links(ctx):
    """Never fetch what a document links to (images, OLE objects, styles on the web or on disk).

    With BlockUntrustedRefererLinks on, LibreOffice refuses links that come
    from a document outside its trusted locations (we trust none), which is
    every letter: defence in depth behind the template checks.
    """
    provider = ctx.ServiceManager.createInstanceWithContext(
        "com.sun.star.configuration.ConfigurationProvider", ctx)
    access = provider.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationUpdateAccess",
        _props(nodepath="/org.openoffice.Office.Common/Security/Scripting"))
    access.setPropertyValue("BlockUntrustedRefererLinks", True)
    access.commitChanges()


#: writer_pdf_Export's SelectPdfVersion for PDF/A-2b (ISO 19005-2 = GB/T 23286).
PDFA_2B = 2


def _convert(desktop, src, dst, pdfa=False):
    # MacroExecutionMode 0 = NEVER_EXECUTE, UpdateDocMode 0 = NO_UPDATE:
    # a letter must never run macros or fetch linked content.
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(src), "_blank", 0,
        _props(Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0))
    if doc is None:
        raise RuntimeError("LibreOffice 无法打开该文件（格式不支持或文件已损坏）")
    try:
        options = {"FilterName": "writer_pdf_Export"}
        if pdfa:
            options["FilterData"] = uno.Any("[]com.sun.star.beans.PropertyValue",
                                            _props(SelectPdfVersion=PDFA_2B))
        doc.storeToURL(uno.systemPathToFileUrl(dst), _props(**options))
    finally:
        doc.close(True)


def _reply(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv):
    pipe, office_pgid, start_timeout = argv[1], int(argv[2]), float(argv[3])
    # Ctrl-C reaches our parent's whole process group; the parent decides
    # when the office stops, we follow its "quit" or its death (stdin EOF).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        desktop = _connect(pipe, time.monotonic() + start_timeout)
    except Exception as exc:  # report and let the parent decide
        _reply({"ready": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        return 1
    _reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("cmd") == "quit":
            try:
                desktop.terminate()
            except Exception:
                pass  # the office is already going away
            return 0
        try:
            if request.get("cmd") == "ping":
                desktop.getFrames().getCount()
            else:
                _convert(desktop, request["src"], request["dst"], bool(request.get("pdfa")))
            _reply({"ok": True})
        except Exception as exc:
            message = getattr(exc, "Message", "") or str(exc)
            # A disposed bridge means the office died: nothing more can be served.
            fatal = isinstance(exc, DisposedException) or "URP bridge" in message
            _reply({"ok": False, "fatal": fatal, "error": "%s: %s" % (type(exc).__name__, message)})
            if fatal:
                return 1
    # stdin closed without "quit": the parent is gone; do not leave an office behind.
    _orphan_cleanup(office_pgid, argv[4:])
    return 0


def _orphan_cleanup(office_pgid, leftovers):
    try:
        os.killpg(office_pgid, signal.SIGKILL)
    except OSError:
        pass
    time.sleep(0.5)  # let the killed office release its files
    for path in leftovers:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
