import { Alert, Card, CardContent, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Loading, Title, useDataProvider } from 'react-admin';
import { statusPollMs } from './settings';

// Live game status, polled like the dashboard's overview. react-query stops the
// interval while the tab is hidden (refetchIntervalInBackground is off).
export function Overview() {
  const dataProvider = useDataProvider();
  const { data, error, isPending } = useQuery({
    queryKey: ['game', 'status'],
    queryFn: () => dataProvider.gameStatus(),
    refetchInterval: statusPollMs,
  });
  if (isPending) return <Loading />;
  return (
    <Card>
      <Title title="Overview" />
      <CardContent>
        {error && <Alert severity="error">{error.message}</Alert>}
        {data && (
          <Typography component="dl">
            <dt>Tick</dt>
            <dd data-testid="tick">{data.tick}</dd>
            <dt>Game time</dt>
            <dd>{new Date(data.game_time).toLocaleString()}</dd>
            <dt>Tick rate</dt>
            <dd>{data.actual_rate.toFixed(1)} of {data.tick_rate} per second</dd>
            <dt>State</dt>
            <dd>{data.paused ? 'Paused' : 'Running'}</dd>
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
