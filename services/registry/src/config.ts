import { CommonConfigSchema, InfraConfigSchema, loadConfig, portVariable } from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  PORT: portVariable(8082),
});
export type Config = Static<typeof ConfigSchema>;

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig('registry', ConfigSchema, env);
}
