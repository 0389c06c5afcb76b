#!/usr/bin/python3
"""Generic TANGO device server of a virtual accelerator (mlayer serve --protocol tango).

Every device has the dynamic attributes listed in its `Attributes` device property,
one JSON object per line:

    {"name": "setpoint", "kind": "setpoint", "type": "number", "unit": "A",
     "min": -5, "max": 5, "initial": 0.0, "description": "HCM 1.1 set point"}

kind  setpoint  READ_WRITE, limits from min/max, memorized (the last value written is
                written again when the server restarts); a change event (and an
                archive event) is pushed on every write.
      readback, monitor
                READ for clients; INVALID quality (NaN) until the first value arrives.
                The simulation feeds it through the WRITE attribute `<name>_bridge`
                (display level EXPERT), which pushes a change event on the read
                attribute.
type  number (DevDouble), array (DevDouble spectrum of `length` points), string (DevString).
write_delay       (set points) seconds a write takes before its reply (a slow supply's completion).
every_write_event (readbacks, monitors) push an event for every value fed, even an unchanged one
                  (a BPM publishing at its rate); otherwise unchanged values are not events.
An initial value outside min/max is reported on stdout and served as it is (the device then has
no write value until a client writes one within the limits).

Run with Debian's interpreter (python3-tango):

    /usr/bin/python3 MlayerVirtual.py <instance>              serve the registered devices
    /usr/bin/python3 MlayerVirtual.py --register <spec.json>  register devices and properties

spec.json: {"server": "MlayerVirtual", "instance": "hcm", "devices": [{"name":
"mlayer/hcm/1-1", "attributes": [...]}]} (the database from TANGO_HOST).
"""

import json
import sys
import threading
import time

import tango
from tango import AttrQuality, AttrWriteType, DevState, DispLevel
from tango.server import Device, device_property, run

SERVER = "MlayerVirtual"
BRIDGE_SUFFIX = "_bridge"
TYPES = {"number": tango.DevDouble, "array": tango.DevDouble, "string": tango.DevString}


def _empty(spec):
    if spec.get("type") == "array":
        return []
    if spec.get("type") == "string":
        return ""
    return float("nan")


class MlayerVirtual(Device):
    """A device of the virtual accelerator: set points written by clients, readbacks and monitors fed by the twin."""

    Attributes = device_property(dtype=(str,), default_value=[])

    def init_device(self):
        super().init_device()
        self._lock = threading.Lock()
        self._specs = {}
        self._values = {}
        for line in self.Attributes:
            spec = json.loads(line)
            self._specs[spec["name"].lower()] = spec
            initial = spec.get("initial")
            self._values[spec["name"].lower()] = (
                (initial if initial is not None else _empty(spec)),
                time.time(),
                AttrQuality.ATTR_VALID if (spec["kind"] == "setpoint" and initial is not None) else AttrQuality.ATTR_INVALID,
            )
        self.set_state(DevState.ON)
        self.set_status("virtual device: %d attributes" % len(self._specs))

    def initialize_dynamic_attributes(self):
        for spec in self._specs.values():
            name = spec["name"]
            dtype = TYPES[spec.get("type", "number")]
            spectrum = spec.get("type") == "array"
            setpoint = spec["kind"] == "setpoint"
            access = AttrWriteType.READ_WRITE if setpoint else AttrWriteType.READ
            if spectrum:
                attr = tango.SpectrumAttr(name, dtype, access, int(spec.get("length") or 4096))
            else:
                attr = tango.Attr(name, dtype, access)
            props = tango.UserDefaultAttrProp()
            if spec.get("unit"):
                props.set_unit(str(spec["unit"]))
            if spec.get("description"):
                props.set_description(str(spec["description"]))
            attr.set_default_properties(props)
            if setpoint:
                attr.set_memorized()
                attr.set_memorized_init(True)
                self.add_attribute(attr, self.read_value, self.write_setpoint)
            else:
                self.add_attribute(attr, self.read_value)
                if spectrum:
                    feed = tango.SpectrumAttr(name + BRIDGE_SUFFIX, dtype, AttrWriteType.WRITE, int(spec.get("length") or 4096))
                else:
                    feed = tango.Attr(name + BRIDGE_SUFFIX, dtype, AttrWriteType.WRITE)
                feed.set_disp_level(DispLevel.EXPERT)
                fprops = tango.UserDefaultAttrProp()
                fprops.set_description("written by the simulation bridge only: sets %s" % name)
                feed.set_default_properties(fprops)
                self.add_attribute(feed, None, self.write_feed)
            self.set_change_event(name, True, False)
            self.set_archive_event(name, True, False)
            if setpoint and spec.get("min") is not None and spec.get("max") is not None:
                # Limits per device (default properties are the class's: devices of one family differ).
                w = self.get_device_attr().get_w_attr_by_name(name)
                w.set_min_value(float(spec["min"]))
                w.set_max_value(float(spec["max"]))
            if setpoint and spec.get("initial") is not None:
                try:
                    self.get_device_attr().get_w_attr_by_name(name).set_write_value(spec["initial"])
                except tango.DevFailed as e:
                    # A design value outside the limits (e.g. API_WAttrOutsideLimit): served, not fatal.
                    print("%s/%s: initial value %r not set as write value: %s" % (self.get_name(), name, spec["initial"], e.args[0].desc.strip()), flush=True)

    def _store(self, name, value):
        key = name.lower()
        if self._specs[key].get("type") == "array":
            value = [float(v) for v in value]
        stamp = time.time()
        with self._lock:
            previous, _stamp, quality = self._values[key]
            self._values[key] = (value, stamp, AttrQuality.ATTR_VALID)
        # The bridge writes unchanged readbacks again now and then (a restarted server needs them): no event for those.
        if quality == AttrQuality.ATTR_VALID and previous == value and self._specs[key]["kind"] != "setpoint" and not self._specs[key].get("every_write_event"):
            return
        self._push(self._specs[key]["name"], value, stamp, AttrQuality.ATTR_VALID)

    def _push(self, name, value, stamp, quality):
        if isinstance(value, list):
            self.push_change_event(name, value, stamp, quality, len(value))
            self.push_archive_event(name, value, stamp, quality, len(value))
        else:
            self.push_change_event(name, value, stamp, quality)
            self.push_archive_event(name, value, stamp, quality)

    def read_value(self, attr):
        with self._lock:
            value, stamp, quality = self._values[attr.get_name().lower()]
        if quality == AttrQuality.ATTR_INVALID:
            attr.set_quality(AttrQuality.ATTR_INVALID)
            return
        attr.set_value_date_quality(value, stamp, quality) if not isinstance(value, list) else attr.set_value_date_quality(value, stamp, quality, len(value))

    def write_setpoint(self, attr):
        self._store(attr.get_name(), attr.get_write_value())
        delay = self._specs[attr.get_name().lower()].get("write_delay")
        if delay:
            time.sleep(float(delay))

    def write_feed(self, attr):
        name = attr.get_name()
        self._store(name[: -len(BRIDGE_SUFFIX)], attr.get_write_value())


def register(path):
    with open(path) as f:
        spec = json.load(f)
    db = tango.Database()
    server = spec.get("server", SERVER) + "/" + spec["instance"]
    for dev in spec["devices"]:
        info = tango.DbDevInfo()
        info.name = dev["name"]
        info._class = "MlayerVirtual"
        info.server = server
        db.add_device(info)
        db.put_device_property(dev["name"], {"Attributes": [json.dumps(a) for a in dev["attributes"]]})
    print("registered %d devices of %s" % (len(spec["devices"]), server))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--register":
        register(sys.argv[2])
    elif len(sys.argv) >= 2 and not sys.argv[1].startswith("-"):
        run((MlayerVirtual,), args=[SERVER] + sys.argv[1:])
    else:
        sys.exit("usage: MlayerVirtual.py <instance> [tango options] | MlayerVirtual.py --register <spec.json>")
