#!/usr/bin/python3
"""TANGO device server of a small accelerator: Magnet and BPM classes.

Run with Debian's interpreter (python3-tango):

    /usr/bin/python3 MlayerAccel.py <instance>

Magnet
    Current  (DevDouble, READ_WRITE): the set current in A, limited to
             [CurrentMin, CurrentMax]; a change event (and an archive event)
             is pushed on every write. The quality is ATTR_WARNING above
             WarningLevel and ATTR_ALARM above AlarmLevel (absolute values).
    Mode     (DevEnum OFF/ON/STANDBY, READ_WRITE)
    Trim     (DevDouble, READ_WRITE): a trim current whose set point the
             server rounds to TrimResolution (a DAC), so that a write of a
             value between two steps reads back different.
    Commands Reset() (current to 0), SetCurrent(DevDouble) -> DevDouble,
             Wait(DevDouble seconds): blocks the device that long (a hung
             power supply, for timeout tests).

BPM
    Position (DevDouble spectrum [x, y] in mm): recomputed and pushed as change
             and archive events at AcquisitionRate (Hz) by an acquisition thread.
    Counter  (DevLong64): the number of acquisitions so far.
    Orbit    (DevDouble spectrum of NumSamples points, READ_WRITE): a buffer
             that clients write and read back.
"""

import math
import sys
import threading
import time

import tango
from tango import AttrQuality, AttrWriteType, DevState
from tango.server import Device, attribute, command, device_property, run

MODES = ["OFF", "ON", "STANDBY"]


class Magnet(Device):
    CurrentMin = device_property(dtype=float, default_value=-10.0)
    CurrentMax = device_property(dtype=float, default_value=10.0)
    WarningLevel = device_property(dtype=float, default_value=8.0)
    AlarmLevel = device_property(dtype=float, default_value=9.5)
    InitialCurrent = device_property(dtype=float, default_value=0.0)
    TrimResolution = device_property(dtype=float, default_value=0.01)

    Current = attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="A", format="%8.4f")
    Mode = attribute(dtype="DevEnum", enum_labels=MODES, access=AttrWriteType.READ_WRITE)
    Trim = attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="A")

    def init_device(self):
        super().init_device()
        self._current = float(self.InitialCurrent)
        self._stamp = time.time()
        self._mode = 1
        self._trim = 0.0
        current = self.get_device_attr().get_w_attr_by_name("Current")
        current.set_min_value(float(self.CurrentMin))
        current.set_max_value(float(self.CurrentMax))
        current.set_write_value(self._current)
        self.set_change_event("Current", True, False)
        self.set_archive_event("Current", True, False)
        self.set_state(DevState.ON)
        self.set_status("Magnet ready")

    def _quality(self):
        level = abs(self._current)
        if level > self.AlarmLevel:
            return AttrQuality.ATTR_ALARM
        if level > self.WarningLevel:
            return AttrQuality.ATTR_WARNING
        return AttrQuality.ATTR_VALID

    def _set(self, value):
        self._current = float(value)
        self._stamp = time.time()
        quality = self._quality()
        self.push_change_event("Current", self._current, self._stamp, quality)
        self.push_archive_event("Current", self._current, self._stamp, quality)

    def read_Current(self):
        return self._current, self._stamp, self._quality()

    def write_Current(self, value):
        self._set(value)

    def read_Trim(self):
        return self._trim

    def write_Trim(self, value):
        step = float(self.TrimResolution)
        self._trim = round(float(value) / step) * step
        self.get_device_attr().get_w_attr_by_name("Trim").set_write_value(self._trim)

    def read_Mode(self):
        return self._mode

    def write_Mode(self, value):
        self._mode = int(value)

    @command
    def Reset(self):
        self.get_device_attr().get_w_attr_by_name("Current").set_write_value(0.0)
        self._set(0.0)

    @command(dtype_in=float, dtype_out=float)
    def SetCurrent(self, value):
        if not self.CurrentMin <= value <= self.CurrentMax:
            tango.Except.throw_exception(
                "MAGNET_OutOfLimits",
                "current %g A outside [%g, %g] A" % (value, self.CurrentMin, self.CurrentMax),
                "Magnet.SetCurrent",
            )
        self.get_device_attr().get_w_attr_by_name("Current").set_write_value(float(value))
        self._set(value)
        return self._current


    @command(dtype_in=float)
    def Wait(self, seconds):
        time.sleep(max(0.0, float(seconds)))


class BPM(Device):
    AcquisitionRate = device_property(dtype=float, default_value=10.0)
    OffsetX = device_property(dtype=float, default_value=0.0)
    OffsetY = device_property(dtype=float, default_value=0.0)
    NumSamples = device_property(dtype=int, default_value=8)

    Position = attribute(dtype=(float,), max_dim_x=2, unit="mm")
    Counter = attribute(dtype="DevLong64")
    Orbit = attribute(dtype=(float,), max_dim_x=4096, access=AttrWriteType.READ_WRITE)

    def init_device(self):
        super().init_device()
        self._lock = threading.Lock()
        self._counter = 0
        self._position = [float(self.OffsetX), float(self.OffsetY)]
        self._stamp = time.time()
        self._orbit = [0.0] * int(self.NumSamples)
        self.set_change_event("Position", True, False)
        self.set_archive_event("Position", True, False)
        self.set_change_event("Counter", True, False)
        self.set_state(DevState.ON)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._acquire, daemon=True)
        self._thread.start()

    def delete_device(self):
        self._stop.set()

    def _acquire(self):
        period = 1.0 / float(self.AcquisitionRate)
        with tango.EnsureOmniThread():
            while not self._stop.wait(period):
                with self._lock:
                    self._counter += 1
                    phase = 2 * math.pi * self._counter / 50.0
                    self._position = [self.OffsetX + 0.1 * math.sin(phase), self.OffsetY + 0.05 * math.cos(phase)]
                    self._stamp = time.time()
                    position, stamp, counter = list(self._position), self._stamp, self._counter
                self.push_change_event("Position", position, stamp, AttrQuality.ATTR_VALID, 2)
                self.push_archive_event("Position", position, stamp, AttrQuality.ATTR_VALID, 2)
                self.push_change_event("Counter", counter, stamp, AttrQuality.ATTR_VALID)

    def read_Position(self):
        with self._lock:
            return list(self._position), self._stamp, AttrQuality.ATTR_VALID

    def read_Counter(self):
        with self._lock:
            return self._counter

    def read_Orbit(self):
        return self._orbit

    def write_Orbit(self, values):
        self._orbit = [float(v) for v in values]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: MlayerAccel.py <instance> [tango options]")
    run((Magnet, BPM), args=["MlayerAccel"] + sys.argv[1:])
