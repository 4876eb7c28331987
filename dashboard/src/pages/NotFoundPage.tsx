import { ButtonLink } from '../components/Button';
import { SearchIcon } from '../components/Icons';
import { Empty } from '../components/States';

export function NotFoundPage() {
  return (
    <main id="main" className="content" style={{ paddingTop: 96 }}>
      <div className="card">
        <Empty icon={<SearchIcon />} title="Page not found" action={<ButtonLink to="/">Go to the dashboard</ButtonLink>}>
          <span>
            There is nothing at <code className="code-inline">{window.location.pathname}</code>.
          </span>
        </Empty>
      </div>
    </main>
  );
}
