import { z } from 'zod';
import { isTangoHost } from './channel.js';

/** Settings of a `type: tango` control system in the facility file. */
export const tangoSettingsSchema = z
  .strictObject({
    /** Database address host:port (several comma-separated); default: the TANGO_HOST environment variable. */
    tangoHost: z
      .string()
      .refine(isTangoHost, { message: 'expected host:port (or several, comma-separated), e.g. tango.example.org:10000' })
      .optional(),
    /** Timeout of reads, commands and subscriptions, in ms. */
    timeout: z.number().int().positive().max(600_000).default(3000),
    /** Timeout of writes, in ms (default: timeout). */
    writeTimeout: z.number().int().positive().max(600_000).optional(),
    /** Event type that monitor() subscribes to. */
    eventType: z.enum(['change', 'periodic', 'archive']).default('change'),
  });

export type TangoSettings = z.output<typeof tangoSettingsSchema>;
export type TangoSettingsInput = z.input<typeof tangoSettingsSchema>;
