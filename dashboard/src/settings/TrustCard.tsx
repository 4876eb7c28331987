// Signed identities: the switch that requires them, and the identity secret's creation and
// rotation (the secret is shown once, here; the replaced one keeps working for 24 hours).
import { describe } from '../api/errors';
import { useRotateIdentitySecret, useUpdateProject } from '../api/queries';
import type { Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { Switch } from '../components/Choice';
import { CopyButton } from '../components/CopyButton';
import { DateTime } from '../components/Display';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';

export function TrustCard({ project }: { project: Project }) {
  const update = useUpdateProject(project.id);
  const rotate = useRotateIdentitySecret(project.id);
  const toast = useToast();
  const hasSecret = project.hasIdentitySecret === true;
  const shown = rotate.data;
  return (
    <Card
      id="signed-identities"
      title="Signed identities"
      description="Require every proxied call to carry x-identity-token, a short-lived HS256 JWT your backend signs with the identity secret: identity and tier then come only from it."
      footer={
        <Button variant="secondary" loading={rotate.isPending} onClick={() => rotate.mutate()}>
          {hasSecret ? 'Rotate identity secret' : 'Create identity secret'}
        </Button>
      }
    >
      <div className="stack">
        <div className="switch-row">
          <Switch
            checked={project.requireSignedIdentity}
            label="Require signed identities"
            onChange={(on) =>
              update.mutate(
                { requireSignedIdentity: on },
                { onSuccess: () => toast(on ? 'Signed identities required' : 'Signed identities optional') },
              )
            }
          />
          <span aria-hidden="true">Require signed identities</span>
        </div>
        {project.requireSignedIdentity && !hasSecret ? (
          <Alert tone="warning">No identity secret yet: every call is refused until you create one.</Alert>
        ) : null}
        {update.isError ? <Alert tone="error">{describe(update.error)}</Alert> : null}
        {rotate.isError ? <Alert tone="error">{describe(rotate.error)}</Alert> : null}
        {shown ? (
          <div className="stack">
            <Alert tone="info">
              Copy the secret now: it is shown only once. Keep it on your backend, never in the app.
              {shown.previousValidUntil ? (
                <>
                  {' '}
                  The previous secret works until <DateTime iso={shown.previousValidUntil} />.
                </>
              ) : null}
            </Alert>
            <div className="key-box">
              <code aria-label="Identity secret" data-testid="identity-secret">
                {shown.identitySecret}
              </code>
              <CopyButton text={shown.identitySecret} what="identity secret" />
            </div>
          </div>
        ) : null}
      </div>
    </Card>
  );
}
