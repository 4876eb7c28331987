import { KeyCard } from './KeyCard';
import { useCurrentProject } from './ProjectLayout';
import { UsePanel } from './UsePanel';

export function ConnectPage() {
  const project = useCurrentProject();
  return (
    <div className="stack-lg">
      <KeyCard project={project} />
      <UsePanel project={project} />
    </div>
  );
}
