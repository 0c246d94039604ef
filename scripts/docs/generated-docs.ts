import { renderBillingSourcesDoc } from './billing-sources.doc';
import { renderTelemetryEventDoc } from './telemetry-event.doc';

/** Each generated doc (path from the repository root) and the function that renders it. */
export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/telemetry-event.md': renderTelemetryEventDoc,
  'docs/billing-sources.md': renderBillingSourcesDoc,
};
