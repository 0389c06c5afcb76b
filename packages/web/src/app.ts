/** What every panel shares: the connection, the server's info, its optics view and the devices of families. */
import type { Connection, Message } from './connection.js';

export interface Info {
  facility: string;
  mode: string;
  online: boolean;
  writes: boolean;
  version: string;
}

export interface OpticsCurves {
  s: number[];
  betax: number[];
  betay: number[];
  dispx: number[];
  dispy: number[];
  mux: number[];
  muy: number[];
  tunes: [number, number];
}

export interface OpticsView {
  circumference: number;
  elements: { s: number[]; length: number[]; kind: string[]; name: string[] };
  design: OpticsCurves;
  machine: OpticsCurves | null;
  machineError?: string;
  roles: { bpm: string[]; corrector: string[]; current: string | null; tune: string | null; rf: string | null; tuneKnobs: string[]; chromaticityKnobs: string[] };
  devices: Record<string, { s: (number | null)[]; enabled: boolean[] }>;
  golden: Record<string, number[]>;
}

export interface Device {
  device: [number, number];
  name: string;
  limits: [number, number] | null;
  channels: Record<string, string>;
}

export interface FamilyInfo {
  name: string;
  elementClass: string;
  size: number;
  fields: string[];
  memberOf: string[];
}

export class App {
  private readonly deviceCache = new Map<string, Promise<Device[]>>();
  /** Seconds after which data is shown as stale (?stale=S in the address, or the banner's field). */
  staleAfter = 3;
  /** Period of the orbit readings, ms (?period=MS in the address). */
  orbitPeriodMs = 100;
  /** Chart redraws of the orbit panel (the page's update rate). */
  orbitRenders = 0;

  constructor(
    readonly conn: Connection,
    readonly info: Info,
    readonly optics: OpticsView,
    readonly families: FamilyInfo[],
  ) {}

  devices(family: string): Promise<Device[]> {
    let p = this.deviceCache.get(family);
    if (!p) {
      p = this.conn.request({ type: 'devices', family }).then((m: Message) => m.devices as Device[]);
      this.deviceCache.set(family, p);
    }
    return p;
  }
}

/** A number for display with `digits` significant figures; '—' for none. */
export function fmt(v: number | undefined | null, digits = 5): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  return Number(v.toPrecision(digits)).toString();
}

/** Whether a panel is on screen (IntersectionObserver): panels off screen neither poll nor redraw. */
export function watchVisible(el: HTMLElement, onShow: () => void = () => undefined): { visible: boolean } {
  const state = { visible: true };
  new IntersectionObserver((entries) => {
    const now = entries.some((e) => e.isIntersecting);
    if (now && !state.visible) {
      state.visible = true;
      onShow();
    } else state.visible = now;
  }).observe(el);
  return state;
}
