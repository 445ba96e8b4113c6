/**
 * Swagger UI's one inline style: the standalone preset renders its logo as an SVG with a
 * `<style>` element. Rather than `'unsafe-inline'`, the pages under /docs allow exactly
 * that stylesheet by its hash (everything else there is files). When a Swagger UI upgrade
 * changes the logo, the gateway's csp test fails on the missing text — update both.
 */
import { createHash } from 'node:crypto';

export const SWAGGER_LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';
const LOGO_STYLE_HASH = `'sha256-${createHash('sha256').update(SWAGGER_LOGO_STYLE).digest('base64')}'`;

/** The response's policy with the logo's hash added to `style-src` (only where it has one). */
export function allowSwaggerLogoStyle(policy: string): string {
  return policy
    .split(';')
    .map((d) => {
      const directive = d.trim();
      return directive.startsWith('style-src ') && !directive.includes(LOGO_STYLE_HASH)
        ? `${directive} ${LOGO_STYLE_HASH}`
        : directive;
    })
    .join('; ');
}
