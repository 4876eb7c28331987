import { describe, expect, it } from 'vitest';

import { renderTemplate, type TemplateValues } from '../../src/lib/template';

// The cases of ai-ratelimit-core's template tests: the preview must render as the server does.
const values: TemplateValues = { used: 8, limit: 10, tier: 'free', metric: 'requests', resetAt: '2026-11-29T00:00:00Z' };

describe('template preview', () => {
  it('fills variables at any depth and keeps unknown ones', () => {
    expect(
      renderTemplate(
        {
          message: '{{used}}/{{limit}} ({{percent}}%), {{remaining}} left on {{tier}} {{metric}}',
          nested: [{ at: '{{ resetAt }}' }, 3, '{{unknown}} {{'],
        },
        values,
      ),
    ).toEqual({
      message: '8/10 (80%), 2 left on free requests',
      nested: [{ at: '2026-11-29T00:00:00Z' }, 3, '{{unknown}} {{'],
    });
  });

  it('writes unlimited and empty tiers as the server does', () => {
    expect(renderTemplate('{{limit}} {{remaining}} {{percent}} [{{tier}}]', { ...values, limit: null, tier: null })).toBe(
      'unlimited unlimited 0 []',
    );
    expect(renderTemplate('{{percent}}', { ...values, limit: 0 })).toBe('100');
    expect(renderTemplate('{{percent}}', { ...values, used: 2, limit: 3 })).toBe('66');
  });
});
